import React from 'react';
import { Icon, useStyles2 } from '@grafana/ui';
import type { IconName } from '@grafana/data';
import { getStyles } from './PanelMessage.styles';

export type PanelMessageKind = 'info' | 'warning' | 'error';

interface Props {
  kind?: PanelMessageKind;
  title: string;
  detail?: React.ReactNode;
  children?: React.ReactNode;
}

const ICONS: Record<PanelMessageKind, IconName> = { info: 'info-circle', warning: 'exclamation-triangle', error: 'exclamation-circle' };

/** The panel's empty, no-data and error states: an icon, a title in words and what to do. */
export function PanelMessage({ kind = 'info', title, detail, children }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.root} role={kind === 'error' ? 'alert' : 'status'} data-testid="runboard-panel-message">
      <Icon name={ICONS[kind]} size="xl" className={kind === 'info' ? undefined : styles[kind]} aria-hidden />
      <p className={styles.title}>{title}</p>
      {detail && <p className={styles.detail}>{detail}</p>}
      {children}
    </div>
  );
}
