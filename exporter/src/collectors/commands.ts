import type { CommandService } from '../commands/service';
import type { Metrics } from '../metrics/registry';
import type { RunInfo } from '@runboard/protocol';
import type { LiveStore, SeriesSpec } from '../store/live-store';
import type { Collector } from './collector';

const LIVE = {
  active: { name: 'command_runs_active', unit: 'none', description: 'Command runs running now.' },
  queueDepth: { name: 'command_queue_depth', unit: 'none', description: 'Command runs waiting for a free slot.' },
} satisfies Record<string, SeriesSpec>;

/**
 * Command runs: finished runs count by outcome and duration; active and queued runs are gauges.
 * A finished run is also recorded as an action named after the command (by the exporter), so
 * the action cards include command runs.
 */
export class CommandsCollector implements Collector {
  readonly name = 'commands';

  constructor(
    private readonly metrics: Metrics,
    private readonly store: LiveStore,
    private readonly service: () => CommandService | undefined,
  ) {}

  recordFinished(run: RunInfo): void {
    this.metrics.commandRuns.inc({ command: run.command, outcome: run.outcome ?? 'failure' });
    if (run.durationSeconds !== null && run.startedAt !== null) this.metrics.commandDuration.observe({ command: run.command }, run.durationSeconds);
  }

  collect(): void {
    const { active, queued } = this.update();
    this.store.set(LIVE.active, active);
    this.store.set(LIVE.queueDepth, queued);
  }

  private update(): { active: number; queued: number } {
    const svc = this.service();
    const active = svc?.activeCount ?? 0;
    const queued = svc?.queuedCount ?? 0;
    this.metrics.commandRunsActive.set(active);
    this.metrics.commandQueueDepth.set(queued);
    return { active, queued };
  }
}
