import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  wrap: css({ position: 'relative' }),
  log: css({
    height: 220,
    overflow: 'auto',
    padding: theme.spacing(0.5, 0),
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.bodySmall.fontSize,
    lineHeight: 1.5,
    background: theme.colors.background.canvas,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  line: css({
    display: 'flex',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 1),
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-word',
  }),
  gutter: css({
    flex: '0 0 5.5em',
    textAlign: 'right',
    color: theme.colors.text.disabled,
    userSelect: 'none',
  }),
  text: css({ flex: 1, minWidth: 0, color: theme.colors.text.primary }),
  stderr: css({
    background: theme.colors.error.transparent,
    '& > span:first-child': { color: theme.colors.error.text, fontWeight: theme.typography.fontWeightMedium },
    '& > span:last-child': { color: theme.colors.error.text },
  }),
  system: css({
    '& > span:first-child': { color: theme.colors.info.text },
    '& > span:last-child': { color: theme.colors.text.secondary, fontStyle: 'italic' },
  }),
  notice: css({ padding: theme.spacing(0, 1), color: theme.colors.text.secondary, fontStyle: 'italic' }),
  jump: css({
    position: 'absolute',
    right: theme.spacing(2),
    bottom: theme.spacing(1),
    boxShadow: theme.shadows.z2,
  }),
});
