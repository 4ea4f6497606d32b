/**
 * DataSourceSrv for @grafana/runtime's `setDataSourceSrv`: instance settings as Grafana builds
 * them for the browser (proxy URL, jsonData, plugin.json as `meta`, never secureJsonData), plugins
 * imported through the AMD loader, one instance per uid, created as Grafana's datasource_srv does
 * (`new plugin.DataSourceClass(instanceSettings)`, then `instance.components = plugin.components`).
 */
import { DataSourceApi, type DataSourceInstanceSettings, type DataSourcePlugin, type DataSourcePluginMeta, type DataSourceRef, type PanelPlugin } from '@grafana/data';
import type { DataSourceSrv, GetDataSourceListFilters, RuntimeDataSourceRegistration } from '@grafana/runtime';
import type { AmdLoader } from './amd-loader';
import type { HostPageConfig, PluginMeta, PublicDataSource } from './types';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDataSourcePlugin = DataSourcePlugin<DataSourceApi<any, any>, any, any, any>;

export class HostDataSourceSrv implements DataSourceSrv {
  private readonly instances = new Map<string, Promise<DataSourceApi>>();
  private readonly plugins = new Map<string, Promise<unknown>>();

  constructor(
    private readonly config: HostPageConfig,
    private readonly loader: AmdLoader,
  ) {}

  toInstanceSettings(ds: PublicDataSource): DataSourceInstanceSettings {
    return {
      id: ds.id,
      uid: ds.uid,
      type: ds.type,
      name: ds.name,
      url: ds.url,
      access: ds.access,
      jsonData: ds.jsonData,
      readOnly: ds.readOnly,
      isDefault: ds.isDefault,
      meta: this.config.plugins[ds.type] as unknown as DataSourcePluginMeta,
    } as DataSourceInstanceSettings;
  }

  private find(ref?: DataSourceRef | string | null): PublicDataSource | undefined {
    const list = this.config.datasources;
    if (ref === undefined || ref === null || ref === 'default') return list.find((d) => d.isDefault) ?? list[0];
    const key = typeof ref === 'string' ? ref : ref.uid;
    return list.find((d) => d.uid === key || d.name === key);
  }

  getInstanceSettings(ref?: DataSourceRef | string | null): DataSourceInstanceSettings | undefined {
    const ds = this.find(ref);
    return ds ? this.toInstanceSettings(ds) : undefined;
  }

  getList(filters: GetDataSourceListFilters = {}): DataSourceInstanceSettings[] {
    return this.config.datasources
      .map((d) => this.toInstanceSettings(d))
      .filter((s) => {
        if (filters.pluginId && s.type !== filters.pluginId) return false;
        if (filters.type && ![filters.type].flat().includes(s.type)) return false;
        if (filters.metrics && !s.meta?.metrics) return false;
        if (filters.annotations && !s.meta?.annotations) return false;
        if (filters.filter && !filters.filter(s)) return false;
        return true;
      });
  }

  reload(): void {
    this.instances.clear();
  }

  registerRuntimeDataSource(_entry: RuntimeDataSourceRegistration): void {
    throw new Error('runtime datasources are not supported by the test host');
  }

  /** Imports `public/plugins/<id>/module.js` (once) and returns its exports. */
  importPlugin(id: string): Promise<unknown> {
    let p = this.plugins.get(id);
    if (!p) {
      const meta: PluginMeta | undefined = this.config.plugins[id];
      if (!meta) return Promise.reject(new Error(`plugin ${id} is not installed in the test host`));
      p = this.loader.import(meta.module).then((exports) => {
        const plugin = (exports as { plugin?: { meta?: unknown } }).plugin;
        if (!plugin) throw new Error(`${meta.module} does not export "plugin"`);
        plugin.meta = meta;
        return plugin;
      });
      this.plugins.set(id, p);
    }
    return p;
  }

  async importDataSourcePlugin(id: string): Promise<AnyDataSourcePlugin> {
    const plugin = (await this.importPlugin(id)) as AnyDataSourcePlugin;
    if (typeof plugin.DataSourceClass !== 'function') throw new Error(`${id}: "plugin" is not a DataSourcePlugin (no DataSourceClass)`);
    return plugin;
  }

  async importPanelPlugin(id: string): Promise<PanelPlugin> {
    const plugin = (await this.importPlugin(id)) as PanelPlugin;
    if (!('panel' in plugin)) throw new Error(`${id}: "plugin" is not a PanelPlugin`);
    return plugin;
  }

  get(ref?: DataSourceRef | string | null): Promise<DataSourceApi> {
    const ds = this.find(ref);
    if (!ds) return Promise.reject(new Error(`Datasource ${JSON.stringify(ref)} was not found`));
    let p = this.instances.get(ds.uid);
    if (!p) {
      p = this.importDataSourcePlugin(ds.type).then((plugin) => {
        const settings = this.toInstanceSettings(ds);
        const instance = new plugin.DataSourceClass(settings);
        instance.components = plugin.components;
        if (!(instance instanceof DataSourceApi)) {
          Object.assign(instance, { name: settings.name, id: settings.id, type: settings.type, meta: settings.meta, uid: settings.uid });
        }
        return instance;
      });
      this.instances.set(ds.uid, p);
    }
    return p;
  }
}
