import React from 'react';
import type { PanelProps } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { PanelOptions } from '../../types/options';
import { ConsoleView } from '../ConsoleView/ConsoleView';
import { MetricCards } from '../MetricCards/MetricCards';
import { getStyles } from './RunboardPanel.styles';

/** The panel: metric cards over the query's data, or the command console. */
export function RunboardPanel({ data, options, width, height, timeZone }: PanelProps<PanelOptions>) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.root} style={{ width, height }}>
      {options.view === 'console' ? (
        <ConsoleView options={options.console} width={width} timeZone={timeZone} />
      ) : (
        <MetricCards data={data} options={options.cards} width={width} height={height} timeZone={timeZone} />
      )}
    </div>
  );
}
