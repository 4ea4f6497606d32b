import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
    minWidth: 0,
  }),
  header: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
  }),
  title: css({
    ...theme.typography.h5,
    margin: 0,
    flex: '1 1 auto',
    minWidth: 0,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  runId: css({ color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightRegular, fontSize: theme.typography.bodySmall.fontSize }),
  elapsed: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: 4,
    color: theme.colors.text.secondary,
    fontVariantNumeric: 'tabular-nums',
  }),
  progress: css({ display: 'flex', flexDirection: 'column', gap: 2 }),
  track: css({
    height: 6,
    overflow: 'hidden',
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.pill,
  }),
  bar: css({
    height: '100%',
    background: theme.colors.primary.main,
    borderRadius: theme.shape.radius.pill,
    [theme.transitions.handleMotion('no-preference')]: { transition: 'width 0.3s ease-out' },
  }),
  progressText: css({
    display: 'flex',
    justifyContent: 'space-between',
    gap: theme.spacing(1),
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
  facts: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5, 2),
    margin: 0,
    fontSize: theme.typography.bodySmall.fontSize,
    dt: { color: theme.colors.text.secondary, display: 'inline', marginRight: 4 },
    dd: { display: 'inline', margin: 0, fontVariantNumeric: 'tabular-nums' },
  }),
  error: css({ fontSize: theme.typography.bodySmall.fontSize, color: theme.colors.error.text }),
  actions: css({ display: 'flex', gap: theme.spacing(1), flexWrap: 'wrap' }),
});
