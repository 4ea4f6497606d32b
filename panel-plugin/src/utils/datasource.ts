import type { DataSourceApi } from '@grafana/data';
import type { RunboardConsoleApi } from '@runboard/protocol';
import { RUNBOARD_DATASOURCE_TYPE } from '../constants';

/**
 * The check before a datasource instance is used by the console: its plugin id. A datasource of
 * this plugin is datasource-plugin's DataSource, which declares `implements RunboardConsoleApi`,
 * so the id is all there is to check; any other datasource gets a message naming its type
 * instead of failing on the first click.
 */
export function asConsoleApi(instance: Pick<DataSourceApi, 'name' | 'type' | 'meta'> | null | undefined): { api: RunboardConsoleApi } | { error: string } {
  if (!instance) {
    return { error: 'No datasource instance' };
  }
  // `meta.id` is the plugin id; `type` repeats it on instances that carry no meta.
  const pluginId = instance.meta?.id ?? instance.type;
  if (pluginId !== RUNBOARD_DATASOURCE_TYPE) {
    const name = instance.name ? `"${instance.name}"` : 'The chosen datasource';
    return { error: `${name} is a ${pluginId ?? 'unknown'} datasource, not a Runboard one: choose a Runboard Live datasource (${RUNBOARD_DATASOURCE_TYPE}) in the panel options.` };
  }
  return { api: instance as unknown as RunboardConsoleApi };
}
