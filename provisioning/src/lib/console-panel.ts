/**
 * The Runboard panel plugin (runboard-console-panel) for the foundation SDK. The dashboards set
 * only the options that matter here (which view, which datasource); Grafana fills in the panel's
 * defaults for the rest, so the panel can grow without this file knowing its internals.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

export const CONSOLE_PANEL_ID = 'runboard-console-panel';

export interface ConsolePanelOptions {
  /** `console`: commands, parameters, live output, runs. `cards`: metric cards of the panel's queries. */
  view: 'console' | 'cards';
  /** The console's settings; only what differs from the panel's defaults (panel-plugin/src/types/options.ts). */
  console?: {
    /** The Runboard datasource the console reaches the exporter through. */
    datasource?: { type: string; uid: string };
  };
}

export class ConsolePanelBuilder extends dashboard.PanelBuilder {
  constructor(options: ConsolePanelOptions) {
    super();
    this.type(CONSOLE_PANEL_ID);
    this.options(JSON.parse(JSON.stringify(options)));
  }
}
