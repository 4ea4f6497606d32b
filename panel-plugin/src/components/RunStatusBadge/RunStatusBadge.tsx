import { cx } from '@emotion/css';
import { Icon, useStyles2 } from '@grafana/ui';
import type { RunInfo } from '@runboard/protocol';
import { runStatusText } from '../../utils/runStatus';
import { getStyles } from './RunStatusBadge.styles';

/** A run's state as an icon and a word, coloured by the theme (the word carries it without colour). */
export function RunStatusBadge({ run }: { run: Pick<RunInfo, 'status' | 'outcome' | 'queuePosition'> }) {
  const styles = useStyles2(getStyles);
  const s = runStatusText(run);
  return (
    <span className={cx(styles.badge, styles[s.tone])} data-testid="runboard-run-status">
      <Icon name={s.icon} size="sm" aria-hidden />
      {s.label}
    </span>
  );
}
