import { useCallback, useEffect, useReducer, useState } from 'react';
import type { RunboardConsoleApi, RunInfo, RunOutputEvent } from '@runboard/protocol';
import { describeError } from '../utils/errors';
import { emptyRunView, foldRunEvents, type RunViewState } from '../utils/runState';

/** Output arriving faster than this is rendered in batches: a flood of lines costs one render per batch. */
const FLUSH_MS = 50;

type Action = { type: 'reset' } | { type: 'events'; events: RunOutputEvent[] };

function reducer(state: RunViewState, action: Action): RunViewState {
  return action.type === 'reset' ? emptyRunView : foldRunEvents(state, action.events);
}

export interface RunOutput {
  view: RunViewState;
  /** The stream failed (the datasource gave up reconnecting); the last known state stays shown. */
  error?: string;
  /** Subscribes again; the exporter replays what was missed. */
  reload: () => void;
}

/** Subscribes to a run's output (live, or a replay of a finished run) and tears it down on change. */
export function useRunOutput(api: RunboardConsoleApi, runId: string | null, seed?: RunInfo): RunOutput {
  const [view, dispatch] = useReducer(reducer, emptyRunView);
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    dispatch({ type: 'reset' });
    // eslint-disable-next-line react-hooks/set-state-in-effect -- another run: the previous run's error goes with its view
    setError(undefined);
    if (!runId) {
      return;
    }
    if (seed && seed.id === runId) {
      dispatch({ type: 'events', events: [{ event: 'status', data: seed }] });
    }
    let pending: RunOutputEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const flush = () => {
      timer = undefined;
      if (pending.length > 0 && !closed) {
        const events = pending;
        pending = [];
        dispatch({ type: 'events', events });
      }
    };
    const sub = api.streamRunOutput(runId).subscribe({
      next: (e) => {
        pending.push(e);
        if (timer === undefined) {
          timer = setTimeout(flush, FLUSH_MS);
        }
      },
      error: (err) => {
        flush();
        if (closed) {
          return;
        }
        setError(describeError(err).message);
        // Show at least where the run stands now.
        api.getRun(runId).then(
          (run) => !closed && dispatch({ type: 'events', events: [{ event: run.status === 'finished' ? 'end' : 'status', data: run }] }),
          () => undefined,
        );
      },
      complete: flush,
    });
    return () => {
      closed = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      sub.unsubscribe();
    };
    // `seed` only matters when runId changes; a new seed object for the same run must not resubscribe.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, runId, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { view, error, reload };
}
