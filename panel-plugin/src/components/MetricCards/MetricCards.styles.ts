import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { GRID_GAP } from '../../utils/layout';

export const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    display: 'flex',
    flexDirection: 'column',
    gap: GRID_GAP,
    height: '100%',
    overflowY: 'auto',
    overflowX: 'hidden',
  }),
  grid: css({
    display: 'grid',
    gap: GRID_GAP,
    alignContent: 'start',
  }),
  banner: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0.5, 1),
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.warning.text,
    background: theme.colors.warning.transparent,
    borderRadius: theme.shape.radius.default,
  }),
  more: css({
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
});
