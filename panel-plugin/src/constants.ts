import type { CardFieldConfig, CardsOptions, ConsoleOptions, RunboardDatasourceType } from '@runboard/protocol';

/** The datasource plugin id; the console only accepts datasources of this type. */
export const RUNBOARD_DATASOURCE_TYPE: RunboardDatasourceType = 'runboard-live-datasource';

export const DEFAULT_CARDS: CardsOptions = {
  fields: [],
  columns: 0,
  size: 'md',
  showTitle: true,
  showState: true,
  showDelta: true,
  showSparkline: true,
  showLinks: true,
  lookbackSeconds: 300,
  maxCards: 50,
};

export const DEFAULT_CONSOLE: ConsoleOptions = {
  datasource: null,
  historyPageSize: 10,
  showHistory: true,
  showTemplates: true,
};

export const DEFAULT_FIELD_CONFIG: CardFieldConfig = {
  higherIs: 'neutral',
};

export const LOOKBACK_CHOICES = [
  { value: 60, label: '1 min' },
  { value: 300, label: '5 min' },
  { value: 900, label: '15 min' },
];
