/**
 * The `--demo` workload: a small simulated team of automations so a fresh install has moving
 * dashboards. It records through the same Recorder verbs an app would use.
 */
import type { Recorder } from './sdk/recorder';

interface DemoAction {
  name: string;
  /** Typical duration in seconds. */
  seconds: number;
  failureRate: number;
  weight: number;
}

const ACTIONS: DemoAction[] = [
  { name: 'sync-inventory', seconds: 0.8, failureRate: 0.02, weight: 5 },
  { name: 'build', seconds: 4, failureRate: 0.06, weight: 2 },
  { name: 'deploy', seconds: 9, failureRate: 0.04, weight: 1 },
  { name: 'send-report', seconds: 0.3, failureRate: 0.01, weight: 4 },
  { name: 'summarise-tickets', seconds: 2.5, failureRate: 0.03, weight: 3 },
];

const EVENTS = [
  { type: 'webhook', seconds: 0.05, failureRate: 0.01, weight: 6 },
  { type: 'email', seconds: 0.3, failureRate: 0.03, weight: 2 },
  { type: 'payment', seconds: 0.6, failureRate: 0.02, weight: 1 },
];

const MODELS = [
  { provider: 'openai', model: 'gpt-4o', latency: 1.8, inTok: 1800, outTok: 450, weight: 2 },
  { provider: 'openai', model: 'gpt-4o-mini', latency: 0.7, inTok: 900, outTok: 250, weight: 5 },
  { provider: 'anthropic', model: 'claude-sonnet-4', latency: 2.2, inTok: 2500, outTok: 700, weight: 2 },
  { provider: 'google', model: 'gemini-2.5-flash', latency: 0.9, inTok: 1200, outTok: 300, weight: 2 },
  // Not in the default price table: shows up as unpriced unless the client sends its cost.
  { provider: 'local', model: 'llama-3.1-8b', latency: 0.4, inTok: 600, outTok: 200, weight: 1 },
];

function pick<T extends { weight: number }>(items: T[], rand: () => number): T {
  const total = items.reduce((s, i) => s + i.weight, 0);
  let r = rand() * total;
  for (const item of items) if ((r -= item.weight) <= 0) return item;
  return items[items.length - 1];
}

/** Log-normal-ish jitter: mostly near `typical`, with a long tail. */
function jitter(typical: number, rand: () => number): number {
  return typical * Math.exp((rand() + rand() + rand() - 1.5) * 0.9);
}

export interface Demo {
  stop(): void;
}

export function startDemo(rec: Recorder, opts: { stepMs?: number; rand?: () => number } = {}): Demo {
  const rand = opts.rand ?? Math.random;
  const stepMs = opts.stepMs ?? 250;
  let step = 0;
  let actionQueue = 3;
  let eventQueue = 10;
  let current: string | null = null;
  let currentLeft = 0;

  const timer = setInterval(() => {
    step++;
    // A burst every ~2 minutes: more work arrives, queues build up, then drain.
    const burst = step % 480 < 60 ? 3 : 1;

    actionQueue = Math.max(0, actionQueue + (rand() < 0.12 * burst ? 1 : 0) - (rand() < 0.1 ? 1 : 0));
    if (current === null || currentLeft <= 0) {
      if (current !== null) {
        const a = ACTIONS.find((x) => x.name === current)!;
        rec.recordAction({ name: a.name, duration_seconds: jitter(a.seconds, rand), success: rand() > a.failureRate * burst });
      }
      const next = pick(ACTIONS, rand);
      current = next.name;
      currentLeft = Math.max(1, Math.round((jitter(next.seconds, rand) * 1000) / stepMs / 2));
    } else {
      currentLeft--;
    }
    // Quick actions that run beside the long one.
    if (rand() < 0.5) {
      const a = pick(
        ACTIONS.filter((x) => x.seconds < 1),
        rand,
      );
      rec.recordAction({ name: a.name, duration_seconds: jitter(a.seconds, rand), success: rand() > a.failureRate });
    }

    for (let i = 0; i < burst * 2; i++) {
      if (rand() < 0.6) {
        const e = pick(EVENTS, rand);
        rec.recordEvent({ type: e.type, outcome: 'queued' });
        eventQueue++;
      }
    }
    const drained = Math.min(eventQueue, Math.round(rand() * 3));
    for (let i = 0; i < drained; i++) {
      const e = pick(EVENTS, rand);
      const failed = rand() < e.failureRate * burst;
      rec.recordEvent({ type: e.type, outcome: failed ? 'failed' : 'processed', processing_seconds: jitter(e.seconds, rand) });
    }
    eventQueue -= drained;

    if (rand() < 0.35 * burst) {
      const m = pick(MODELS, rand);
      const failed = rand() < 0.03;
      rec.recordLlmCall({
        provider: m.provider,
        model: m.model,
        input_tokens: Math.round(jitter(m.inTok, rand)),
        output_tokens: failed ? 0 : Math.round(jitter(m.outTok, rand)),
        duration_seconds: jitter(m.latency, rand),
        success: !failed,
      });
    }
    rec.setState({ current_action: current, actions_in_flight: 1 + (rand() < 0.5 ? 1 : 0), action_queue_depth: actionQueue, event_queue_depth: eventQueue });
  }, stepMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
