import { useLayoutEffect, useRef, useState } from 'react';
import { cx } from '@emotion/css';
import { Button, useStyles2 } from '@grafana/ui';
import type { OutputLine } from '@runboard/protocol';
import { isAtBottom } from '../../utils/runState';
import { getStyles } from './RunOutput.styles';

interface Props {
  lines: OutputLine[];
  droppedLines: number;
  /** The exporter stored only part of this run's output. */
  truncated?: boolean;
  /** Tells a waiting run from one that printed nothing. */
  emptyText: string;
}

const STREAM_LABEL: Record<OutputLine['stream'], string> = { stdout: '', stderr: 'stderr', system: 'runboard' };

/**
 * A run's output: stderr marked in words and colour, system lines (the exporter's own notes)
 * apart. It follows new lines while the reader is at the bottom and stops when they scroll up;
 * "Jump to latest" resumes.
 */
export function RunOutput({ lines, droppedLines, truncated, emptyText }: Props) {
  const styles = useStyles2(getStyles);
  const ref = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const [seenCount, setSeenCount] = useState(0);
  const total = droppedLines + lines.length;

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && following) {
      el.scrollTop = el.scrollHeight;
    }
  }, [lines, following]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) {
      return;
    }
    const atBottom = isAtBottom(el);
    if (following && !atBottom) {
      setSeenCount(total);
    }
    if (atBottom !== following) {
      setFollowing(atBottom);
    }
  };

  const jump = () => {
    const el = ref.current;
    if (el) {
      el.scrollTop = el.scrollHeight;
    }
    setFollowing(true);
  };

  const unseen = Math.max(0, total - seenCount);
  return (
    <div className={styles.wrap}>
      <div ref={ref} className={styles.log} role="log" aria-label="Run output" tabIndex={0} onScroll={onScroll} data-testid="runboard-run-output" data-following={following}>
        {droppedLines > 0 && <div className={styles.notice}>{droppedLines} earlier lines are not shown here.</div>}
        {lines.length === 0 && <div className={styles.notice}>{emptyText}</div>}
        {lines.map((l) => (
          <div key={l.seq} className={cx(styles.line, l.stream === 'stderr' && styles.stderr, l.stream === 'system' && styles.system)} data-stream={l.stream}>
            {STREAM_LABEL[l.stream] && <span className={styles.tag}>{STREAM_LABEL[l.stream]}</span>}
            <span>{l.text}</span>
          </div>
        ))}
        {truncated && <div className={styles.notice}>The exporter kept only part of this run&apos;s output (its output limit).</div>}
      </div>
      {!following && (
        <Button className={styles.jump} size="sm" icon="arrow-down" onClick={jump}>
          {unseen > 0 ? `Jump to latest (${unseen} new)` : 'Jump to latest'}
        </Button>
      )}
    </div>
  );
}
