/**
 * The console panel's options as a dashboard stores them: read by the panel
 * (panel-plugin/src/module.ts builds their editors) and written by provisioning's dashboard code.
 * Types only.
 */
import type { RunboardDatasourceRef } from './query';

/** The panel plugin's id (panel-plugin/src/plugin.json). */
export type RunboardPanelType = 'runboard-console-panel';

export type PanelView = 'cards' | 'console';
export type CardSize = 'sm' | 'md' | 'lg';

export interface CardsOptions {
  /** Field names or card titles to show; empty or absent shows every numeric field. */
  fields?: string[];
  /** Number of columns; 0 fits as many as the card size allows. */
  columns: number;
  size: CardSize;
  showTitle: boolean;
  showState: boolean;
  showDelta: boolean;
  showSparkline: boolean;
  showLinks: boolean;
  /** The delta compares the latest value with the value this many seconds before it. */
  lookbackSeconds: number;
  /** Bounds the number of cards so a query returning thousands of series cannot freeze the page. */
  maxCards: number;
}

export interface ConsoleOptions {
  /** A Runboard datasource; empty uses the first one Grafana knows. */
  datasource?: RunboardDatasourceRef | null;
  historyPageSize: number;
  showHistory: boolean;
  showTemplates: boolean;
}

export interface PanelOptions {
  view: PanelView;
  cards: CardsOptions;
  console: ConsoleOptions;
}

/** Whether an increase is good news; per field, so one panel can mix error rates and success ratios. */
export type HigherIs = 'good' | 'bad' | 'neutral';

/** The panel's custom field config (`fieldConfig.defaults.custom`, overridable per field). */
export interface CardFieldConfig {
  higherIs: HigherIs;
}
