import { useEffect, useState } from 'react';
import { cx } from '@emotion/css';
import { dateTimeFormat, type TimeZone } from '@grafana/data';
import { IconButton, Pagination, useStyles2 } from '@grafana/ui';
import type { RunboardConsoleApi, RunInfo, RunsPage } from '@runboard/protocol';
import { describeError } from '../../utils/errors';
import { formatCost, formatDuration } from '../../utils/format';
import { RunStatusBadge } from '../RunStatusBadge/RunStatusBadge';
import { getStyles } from './RunHistory.styles';

/** While a listed run is queued or running, the page refreshes this often (ms). */
export const LIVE_REFRESH_MS = 2000;

interface Props {
  api: RunboardConsoleApi;
  pageSize: number;
  /** Changing it reloads the page (a run started or ended). */
  reloadKey: number;
  selectedRunId?: string;
  onSelect: (run: RunInfo) => void;
  commandTitle: (commandId: string) => string;
  timeZone?: TimeZone;
}

/** Recent runs, newest first, a page at a time; choosing one shows its stored output. */
export function RunHistory({ api, pageSize, reloadKey, selectedRunId, onSelect, commandTitle, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const size = Math.max(1, Math.floor(pageSize) || 10);
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<RunsPage>();
  const [error, setError] = useState<string>();
  const [refresh, setRefresh] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    api.listRuns({ limit: size, offset: (page - 1) * size }).then(
      (res) => {
        if (cancelled) {
          return;
        }
        setResult(res);
        setError(undefined);
        if (res.runs.some((r) => r.status !== 'finished')) {
          timer = setTimeout(() => setRefresh((n) => n + 1), LIVE_REFRESH_MS);
        }
      },
      (err) => !cancelled && setError(describeError(err).message),
    );
    return () => {
      cancelled = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    };
  }, [api, page, size, reloadKey, refresh]);

  const pages = result ? Math.max(1, Math.ceil(result.total / size)) : 1;
  const first = result && result.total > 0 ? result.offset + 1 : 0;
  const last = result ? result.offset + result.runs.length : 0;

  return (
    <section className={styles.root} aria-label="Run history" data-testid="runboard-run-history">
      <div className={styles.header}>
        <h4 className={styles.heading}>History</h4>
        <IconButton name="sync" tooltip="Refresh the history" onClick={() => setRefresh((n) => n + 1)} />
      </div>
      {error && (
        <div className={styles.error} role="alert">
          Cannot load the history: {error}
        </div>
      )}
      {result && result.runs.length === 0 && <div className={styles.empty}>No runs yet.</div>}
      {result && result.runs.length > 0 && (
        <div className={styles.scroll}>
          <table className={styles.table}>
            <thead>
              <tr>
                <th scope="col">Command</th>
                <th scope="col">Started</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Outcome</th>
                <th scope="col" className="num">
                  Tokens
                </th>
                <th scope="col" className="num">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {result.runs.map((run) => (
                <tr
                  key={run.id}
                  className={cx(run.id === selectedRunId && styles.selected)}
                  aria-current={run.id === selectedRunId ? true : undefined}
                  onClick={() => onSelect(run)}
                  data-testid="runboard-history-row"
                >
                  <td>
                    <button type="button" className={styles.link} onClick={(e) => (e.stopPropagation(), onSelect(run))} title={`Show the output of run ${run.id}`}>
                      {commandTitle(run.command)}
                    </button>
                  </td>
                  <td>{dateTimeFormat(run.startedAt ?? run.requestedAt, { timeZone })}</td>
                  <td className="num">{formatDuration(run.durationSeconds)}</td>
                  <td>
                    <RunStatusBadge run={run} />
                  </td>
                  <td className="num">{run.inputTokens + run.outputTokens > 0 ? (run.inputTokens + run.outputTokens).toLocaleString('en-US') : '—'}</td>
                  <td className="num">{run.costUsd > 0 ? formatCost(run.costUsd) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {result && result.total > 0 && (
        <div className={styles.footer}>
          <span>
            Runs {first}–{last} of {result.total}
          </span>
          <Pagination currentPage={page} numberOfPages={pages} onNavigate={setPage} hideWhenSinglePage />
        </div>
      )}
    </section>
  );
}
