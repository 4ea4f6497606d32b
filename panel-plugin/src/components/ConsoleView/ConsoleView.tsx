import { useMemo } from 'react';
import type { TimeZone } from '@grafana/data';
import { config } from '@grafana/runtime';
import { LoadingPlaceholder } from '@grafana/ui';
import { useConsoleApi } from '../../hooks/useConsoleApi';
import type { ConsoleOptions } from '@runboard/protocol';
import { runPermission } from '../../utils/permissions';
import { CommandConsole } from '../CommandConsole/CommandConsole';
import { PanelMessage } from '../PanelMessage/PanelMessage';

interface Props {
  options: ConsoleOptions;
  width: number;
  timeZone?: TimeZone;
}

/** The console bound to Grafana: the chosen Runboard datasource and the signed-in user's role. */
export function ConsoleView({ options, width, timeZone }: Props) {
  const { api, error, loading } = useConsoleApi(options.datasource);
  const user = config.bootData?.user;
  const permission = useMemo(() => runPermission(user), [user]);
  if (loading) {
    return <LoadingPlaceholder text="Connecting to the Runboard datasource…" />;
  }
  if (!api) {
    return <PanelMessage kind="warning" title="The console has no Runboard datasource" detail={error} />;
  }
  return (
    <CommandConsole
      api={api}
      permission={permission}
      historyPageSize={options.historyPageSize}
      showHistory={options.showHistory}
      showTemplates={options.showTemplates}
      timeZone={timeZone}
      width={width}
    />
  );
}
