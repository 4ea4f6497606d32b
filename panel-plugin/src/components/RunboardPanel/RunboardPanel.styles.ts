import { css } from '@emotion/css';

export const getStyles = () => ({
  root: css({ width: '100%', height: '100%', overflow: 'hidden' }),
});
