import { useEffect, useRef, useState } from 'react';
import { Button, Icon, useStyles2 } from '@grafana/ui';
import type { RunboardConsoleApi, RunInfo } from '@runboard/protocol';
import { useNow } from '../../hooks/useNow';
import { useRunOutput } from '../../hooks/useRunOutput';
import { describeError } from '../../utils/errors';
import { formatCost, formatDuration, formatElapsed, formatTokens } from '../../utils/format';
import type { RunPermission } from '../../utils/permissions';
import { isActive, runElapsedMs } from '../../utils/runState';
import { exitText } from '../../utils/runStatus';
import { GuardedButton } from '../GuardedButton/GuardedButton';
import { RunOutput } from '../RunOutput/RunOutput';
import { RunStatusBadge } from '../RunStatusBadge/RunStatusBadge';
import { getStyles } from './RunView.styles';

interface Props {
  api: RunboardConsoleApi;
  runId: string;
  /** What startRun answered, shown until the stream's first status arrives. */
  seed?: RunInfo;
  commandTitle: (commandId: string) => string;
  permission: RunPermission;
  /** Re-run with the same parameters; undefined when the command no longer exists. */
  onRerun?: (run: RunInfo) => void;
  onEnded?: (run: RunInfo) => void;
}

/** One run, live or replayed: status, elapsed time, progress, output, outcome; cancel and re-run. */
export function RunView({ api, runId, seed, commandTitle, permission, onRerun, onEnded }: Props) {
  const styles = useStyles2(getStyles);
  const { view, error: streamError, reload } = useRunOutput(api, runId, seed);
  const run = view.run;
  const active = isActive(run) && !view.ended;
  const now = useNow(active);
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<string>();
  const sectionRef = useRef<HTMLElement>(null);
  const rerunRef = useRef<HTMLButtonElement>(null);
  // Cancel is disabled while it works and gone once the run ends, which drops the keyboard focus
  // on the page's body: the end hands it to Re-run, where Cancel was (see the effect below).
  const refocusOnEnd = useRef(false);

  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- another run: its cancel state starts afresh
    setCancelling(false);
    setCancelError(undefined);
    refocusOnEnd.current = false;
  }, [runId]);

  const endedRun = view.ended ? run : null;
  useEffect(() => {
    if (endedRun) {
      onEnded?.(endedRun);
    }
    // Once per run: the end event, not every re-render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [endedRun?.id, endedRun?.finishedAt]);

  const cancel = async () => {
    refocusOnEnd.current = true;
    setCancelling(true);
    setCancelError(undefined);
    try {
      await api.cancelRun(runId);
    } catch (err) {
      setCancelError(`Cannot cancel: ${describeError(err).message}`);
      setCancelling(false);
    }
  };

  const elapsed = runElapsedMs(run, now);
  const finished = run?.status === 'finished';
  const exit = run ? exitText(run) : undefined;

  useEffect(() => {
    if (!finished || !refocusOnEnd.current) return;
    refocusOnEnd.current = false;
    // Only focus that was lost with the button: never take it from where the user has moved on to.
    const focused = document.activeElement;
    if (focused && focused !== document.body && !sectionRef.current?.contains(focused)) return;
    (rerunRef.current ?? sectionRef.current)?.focus();
  }, [finished]);
  const emptyText = !run ? 'Connecting…' : run.status === 'queued' ? 'Waiting in the queue…' : active ? 'Waiting for output…' : 'This run printed nothing.';

  return (
    <section className={styles.root} aria-label="Run" data-testid="runboard-run-view" ref={sectionRef} tabIndex={-1}>
      <div className={styles.header}>
        <h4 className={styles.title}>
          {run ? commandTitle(run.command) : 'Run'} <span className={styles.runId}>{runId}</span>
        </h4>
        {run && <RunStatusBadge run={run} />}
        {elapsed !== null && (
          <span className={styles.elapsed} title={finished ? 'Duration' : 'Elapsed'} data-testid="runboard-run-elapsed">
            <Icon name="clock-nine" size="sm" aria-hidden />
            {finished ? formatDuration(elapsed / 1000) : formatElapsed(elapsed)}
          </span>
        )}
        {active && (
          <GuardedButton permission={permission} variant="destructive" size="sm" icon="times" disabled={cancelling} onClick={cancel}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </GuardedButton>
        )}
        {finished && onRerun && run && (
          <GuardedButton ref={rerunRef} permission={permission} variant="secondary" size="sm" icon="repeat" onClick={() => onRerun(run)}>
            Re-run
          </GuardedButton>
        )}
      </div>

      {(view.progress || active) && (
        <div className={styles.progress}>
          <div
            className={styles.track}
            role="progressbar"
            aria-label="Progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={view.progress ? view.progress.percent : undefined}
            aria-valuetext={view.progress ? `${view.progress.percent}% ${view.progress.message}`.trim() : 'No progress reported yet'}
          >
            <div className={styles.bar} style={{ width: `${view.progress?.percent ?? 0}%` }} />
          </div>
          <div className={styles.progressText} data-testid="runboard-run-progress">
            <span>{view.progress?.message || (active ? 'Running…' : '')}</span>
            {view.progress && <span>{view.progress.percent}%</span>}
          </div>
        </div>
      )}

      <RunOutput lines={view.lines} droppedLines={view.droppedLines} truncated={finished && run?.truncated} emptyText={emptyText} />

      {run && (finished || view.usage.inputTokens > 0 || view.usage.costUsd > 0) && (
        <dl className={styles.facts} data-testid="runboard-run-facts">
          {finished && (
            <div>
              <dt>Outcome</dt>
              <dd>
                {run.outcome ?? 'finished'}
                {exit ? `, ${exit}` : ''}
              </dd>
            </div>
          )}
          {finished && (
            <div>
              <dt>Duration</dt>
              <dd>{formatDuration(run.durationSeconds)}</dd>
            </div>
          )}
          <div>
            <dt>Tokens</dt>
            <dd>{formatTokens(view.usage.inputTokens, view.usage.outputTokens)}</dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{formatCost(view.usage.costUsd)}</dd>
          </div>
        </dl>
      )}
      {run?.error && <div className={styles.error}>{run.error}</div>}
      {cancelError && (
        <div className={styles.error} role="alert">
          {cancelError}
        </div>
      )}
      {streamError && (
        <div className={styles.error} role="alert">
          Output stream stopped: {streamError}{' '}
          <Button size="sm" fill="text" onClick={reload}>
            Reconnect
          </Button>
        </div>
      )}
    </section>
  );
}
