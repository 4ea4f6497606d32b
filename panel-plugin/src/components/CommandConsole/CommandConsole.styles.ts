import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(2),
    height: '100%',
    overflowY: 'auto',
    overflowX: 'hidden',
    paddingRight: theme.spacing(0.5),
  }),
  readOnly: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0.5, 1),
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
  main: css({
    display: 'grid',
    gap: theme.spacing(2),
    alignItems: 'start',
  }),
  column: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), minWidth: 0 }),
  sectionTitle: css({ ...theme.typography.h5, margin: 0 }),
  actions: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1) }),
  formError: css({ fontSize: theme.typography.bodySmall.fontSize, color: theme.colors.error.text }),
  placeholder: css({
    padding: theme.spacing(2),
    textAlign: 'center',
    color: theme.colors.text.secondary,
    border: `1px dashed ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
  confirmList: css({ margin: theme.spacing(1, 0, 0), paddingLeft: theme.spacing(2), fontFamily: theme.typography.fontFamilyMonospace }),
});
