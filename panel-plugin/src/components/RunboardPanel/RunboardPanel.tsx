import { useMemo } from 'react';
import type { PanelProps } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { DEFAULT_CARDS, DEFAULT_CONSOLE } from '../../constants';
import type { PanelOptions } from '@runboard/protocol';
import { ConsoleView } from '../ConsoleView/ConsoleView';
import { MetricCards } from '../MetricCards/MetricCards';
import { getStyles } from './RunboardPanel.styles';

/** The panel: metric cards over the query's data, or the command console. */
export function RunboardPanel({ data, options, width, height, timeZone }: PanelProps<PanelOptions>) {
  const styles = useStyles2(getStyles);
  // Grafana fills in option defaults; a host that passes only some options (a provisioned
  // dashboard saying just `view: 'console'`) still gets a complete set.
  const cards = useMemo(() => ({ ...DEFAULT_CARDS, ...options.cards }), [options.cards]);
  const console = useMemo(() => ({ ...DEFAULT_CONSOLE, ...options.console }), [options.console]);
  return (
    <div className={styles.root} style={{ width, height }}>
      {options.view === 'console' ? (
        <ConsoleView options={console} width={width} timeZone={timeZone} />
      ) : (
        <MetricCards data={data} options={cards} width={width} height={height} timeZone={timeZone} />
      )}
    </div>
  );
}
