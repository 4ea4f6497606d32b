/** Records the benchmarks send: names, mixes and the series they create. */

export const ACTION_OUTCOMES = [true, true, true, false];

export function actionName(i: number): string {
  return `bench-action-${String(i).padStart(4, '0')}`;
}

export function modelName(i: number): string {
  return `bench-model-${String(i).padStart(3, '0')}`;
}

/**
 * One record per distinct action and per distinct model (and a few events and a state): ingested
 * once it creates the per-action / per-model live series; sent again it keeps them in the rolling
 * window (60 s), so they stay live for a whole measurement.
 */
export function seriesSeed(actions: number, models: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < actions; i++) out.push({ kind: 'action', name: actionName(i), duration_seconds: 0.05 + (i % 17) * 0.1, success: i % 9 !== 0 });
  for (let i = 0; i < models; i++) {
    out.push({
      kind: 'llm',
      provider: `bench-provider-${i % 3}`,
      model: modelName(i),
      input_tokens: 500 + i,
      output_tokens: 100 + i,
      duration_seconds: 0.4 + (i % 7) * 0.3,
      cost_usd: 0.001 * (1 + (i % 5)),
    });
  }
  for (const outcome of ['queued', 'processed', 'failed']) out.push({ kind: 'event', type: 'bench.event', outcome, processing_seconds: 0.02 });
  out.push({ kind: 'state', current_action: actionName(0), actions_in_flight: 1, action_queue_depth: 2, event_queue_depth: 3 });
  return out;
}

/**
 * The ingest benchmark's batch: 1,000 records, 40% actions, 30% LLM calls, 20% events, 10% state,
 * over 20 action names, 5 models (priced from the table and with cost_usd) and 5 event types.
 */
export function ingestBatch(size = 1000): unknown[] {
  const out: unknown[] = [];
  const models = ['gpt-4o-mini', 'gpt-4o', 'claude-haiku-3.5', 'bench-model-a', 'bench-model-b'];
  for (let i = 0; i < size; i++) {
    const k = i % 10;
    if (k < 4) out.push({ kind: 'action', name: `job-${i % 20}`, duration_seconds: 0.01 * (1 + (i % 300)), success: i % 13 !== 0 });
    else if (k < 7) {
      const model = models[i % models.length];
      out.push({
        kind: 'llm',
        provider: model.startsWith('gpt') ? 'openai' : model.startsWith('claude') ? 'anthropic' : 'bench',
        model,
        input_tokens: 200 + (i % 900),
        output_tokens: 20 + (i % 300),
        duration_seconds: 0.2 + (i % 40) * 0.05,
        ...(i % 2 ? { cost_usd: 0.0004 } : {}),
      });
    } else if (k < 9) {
      out.push({ kind: 'event', type: `evt.${i % 5}`, outcome: i % 3 === 0 ? 'queued' : i % 7 === 0 ? 'failed' : 'processed', processing_seconds: 0.003 * (1 + (i % 50)) });
    } else out.push({ kind: 'state', actions_in_flight: i % 4, action_queue_depth: i % 11, event_queue_depth: i % 17 });
  }
  return out;
}
