import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  list: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
    margin: 0,
    padding: 0,
    listStyle: 'none',
    maxHeight: 240,
    overflowY: 'auto',
  }),
  item: css({
    display: 'block',
    width: '100%',
    padding: theme.spacing(0.75, 1),
    textAlign: 'left',
    color: theme.colors.text.primary,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    cursor: 'pointer',
    '&:hover': { borderColor: theme.colors.border.medium },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: 1 },
  }),
  selected: css({
    borderColor: theme.colors.primary.border,
    boxShadow: `inset 3px 0 0 ${theme.colors.primary.main}`,
  }),
  title: css({ display: 'flex', alignItems: 'center', gap: 4, fontWeight: theme.typography.fontWeightMedium }),
  description: css({
    display: 'block',
    marginTop: 2,
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
});
