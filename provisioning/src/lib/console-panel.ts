/**
 * The Runboard panel plugin (runboard-console-panel) for the foundation SDK. Its options are
 * kept generic (a `view` and the datasource it talks through) so the panel can grow without
 * this file knowing its internals.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

export const CONSOLE_PANEL_ID = 'runboard-console-panel';

export interface ConsolePanelOptions {
  /** `console`: commands, parameters, live output, runs. `cards`: metric cards of the panel's queries. */
  view: 'console' | 'cards';
  /** uid of the Runboard datasource the console reaches the exporter through. */
  datasource?: string;
}

export class ConsolePanelBuilder extends dashboard.PanelBuilder {
  constructor(options: ConsolePanelOptions) {
    super();
    this.type(CONSOLE_PANEL_ID);
    this.options({ ...options });
  }
}
