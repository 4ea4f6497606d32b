import { useEffect, useState } from 'react';
import type { DataSourceRef } from '@grafana/data';
import { getDataSourceSrv } from '@grafana/runtime';
import type { RunboardConsoleApi } from '@runboard/protocol';
import { RUNBOARD_DATASOURCE_TYPE } from '../constants';
import { asConsoleApi } from '../utils/datasource';
import { describeError } from '../utils/errors';

export interface ConsoleApiState {
  api?: RunboardConsoleApi;
  error?: string;
  loading: boolean;
  /** The datasource's name, for headings and messages. */
  name?: string;
}

/**
 * The chosen Runboard datasource as a console API. Without a choice, the first Runboard datasource
 * Grafana knows is used, so a provisioned dashboard works without editing the panel.
 */
export function useConsoleApi(ref: DataSourceRef | string | null | undefined): ConsoleApiState {
  const [state, setState] = useState<ConsoleApiState>({ loading: true });
  const key = typeof ref === 'string' ? ref : (ref?.uid ?? '');

  useEffect(() => {
    let cancelled = false;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- another datasource: loading again until it resolves
    setState({ loading: true });
    const srv = getDataSourceSrv();
    let target: DataSourceRef | string | undefined = key || undefined;
    if (!target) {
      const first = srv.getList({ pluginId: RUNBOARD_DATASOURCE_TYPE })[0];
      if (!first) {
        setState({ loading: false, error: 'No Runboard datasource is configured. Add one (type Runboard Live) and choose it in the panel options.' });
        return;
      }
      target = { uid: first.uid, type: first.type };
    }
    srv.get(target).then(
      (instance) => {
        if (cancelled) {
          return;
        }
        const checked = asConsoleApi(instance);
        setState('api' in checked ? { loading: false, api: checked.api, name: instance.name } : { loading: false, error: checked.error, name: instance.name });
      },
      (err) => !cancelled && setState({ loading: false, error: `Cannot load the datasource: ${describeError(err).message}` }),
    );
    return () => {
      cancelled = true;
    };
  }, [key]);

  return state;
}
