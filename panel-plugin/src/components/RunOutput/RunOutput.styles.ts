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
    padding: theme.spacing(0, 1),
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-word',
    color: theme.colors.text.primary,
  }),
  // stderr and the exporter's own notes carry a word, not only a colour.
  tag: css({
    display: 'inline-block',
    marginRight: theme.spacing(1),
    padding: '0 4px',
    borderRadius: theme.shape.radius.default,
    fontSize: '0.85em',
    lineHeight: 1.4,
    userSelect: 'none',
  }),
  stderr: css({
    color: theme.colors.error.text,
    background: theme.colors.error.transparent,
    '& > span:first-child': { color: theme.colors.error.contrastText, background: theme.colors.error.main },
  }),
  system: css({
    color: theme.colors.text.secondary,
    fontStyle: 'italic',
    '& > span:first-child': { fontStyle: 'normal', color: theme.colors.info.text, border: `1px solid ${theme.colors.info.border}` },
  }),
  notice: css({ padding: theme.spacing(0, 1), color: theme.colors.text.secondary, fontStyle: 'italic' }),
  jump: css({
    position: 'absolute',
    right: theme.spacing(2),
    bottom: theme.spacing(1),
    boxShadow: theme.shadows.z2,
  }),
});
