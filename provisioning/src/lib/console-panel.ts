/**
 * The Runboard panel plugin (runboard-console-panel) for the foundation SDK. The dashboards set
 * only the options that matter here (which view, which datasource); Grafana fills in the panel's
 * defaults for the rest, so the panel can grow without this file knowing its internals.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { CardsOptions, ConsoleOptions, PanelView, RunboardPanelType } from '@runboard/protocol';

export const CONSOLE_PANEL_ID: RunboardPanelType = 'runboard-console-panel';

/**
 * The panel's options (PanelOptions in @runboard/protocol), only what differs from its defaults:
 * `view` (`console`: commands, parameters, live output, runs; `cards`: metric cards of the
 * panel's queries) and, say, the console's datasource.
 */
export interface ConsolePanelOptions {
  view: PanelView;
  cards?: Partial<CardsOptions>;
  console?: Partial<ConsoleOptions>;
}

export class ConsolePanelBuilder extends dashboard.PanelBuilder {
  constructor(options: ConsolePanelOptions) {
    super();
    this.type(CONSOLE_PANEL_ID);
    this.options(JSON.parse(JSON.stringify(options)));
  }
}
