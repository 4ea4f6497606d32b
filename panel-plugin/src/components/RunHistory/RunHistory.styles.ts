import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), minWidth: 0 }),
  header: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1) }),
  heading: css({ ...theme.typography.h5, margin: 0, flex: 1 }),
  scroll: css({ overflowX: 'auto' }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
    fontVariantNumeric: 'tabular-nums',
    'th, td': {
      padding: theme.spacing(0.5, 1),
      textAlign: 'left',
      whiteSpace: 'nowrap',
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
    'td.num, th.num': { textAlign: 'right' },
    'tbody tr': { cursor: 'pointer' },
    // Not action.hover: in the light theme the link and status colours on it fall below WCAG AA contrast.
    'tbody tr:hover': { background: theme.colors.background.secondary },
  }),
  // Not action.selected, for the same contrast; a bar in the primary colour marks the row instead.
  selected: css({
    background: theme.colors.background.secondary,
    '& > td:first-child': { boxShadow: `inset 3px 0 0 ${theme.colors.primary.border}` },
  }),
  link: css({
    padding: 0,
    border: 'none',
    background: 'none',
    color: theme.colors.text.link,
    cursor: 'pointer',
    font: 'inherit',
    '&:hover': { textDecoration: 'underline' },
  }),
  footer: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: theme.spacing(1),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  error: css({ color: theme.colors.error.text, fontSize: theme.typography.bodySmall.fontSize }),
  empty: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
