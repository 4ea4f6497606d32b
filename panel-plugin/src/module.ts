import { FieldColorModeId, FieldConfigProperty, PanelPlugin, type SelectableValue } from '@grafana/data';
import { DatasourceEditor } from './components/DatasourceEditor/DatasourceEditor';
import { RunboardPanel } from './components/RunboardPanel/RunboardPanel';
import { DEFAULT_CARDS, DEFAULT_CONSOLE, DEFAULT_FIELD_CONFIG, LOOKBACK_CHOICES } from './constants';
import type { CardFieldConfig, CardSize, HigherIs, PanelOptions, PanelView } from '@runboard/protocol';
import { cardFieldNames } from './utils/series';

const isCards = (o: PanelOptions) => o.view !== 'console';
const isConsole = (o: PanelOptions) => o.view === 'console';
const CARDS = ['Cards'];
const CONSOLE = ['Console'];

export const plugin = new PanelPlugin<PanelOptions, CardFieldConfig>(RunboardPanel)
  .useFieldConfig({
    standardOptions: {
      // Cards colour by thresholds unless the user picks another colour scheme.
      [FieldConfigProperty.Color]: { defaultValue: { mode: FieldColorModeId.Thresholds } },
    },
    useCustomConfig: (builder) =>
      builder.addRadio<HigherIs, { options: Array<SelectableValue<HigherIs>> }>({
        path: 'higherIs',
        name: 'Higher values are',
        description: 'Colours the change against the lookback, and orders threshold states (a success ratio: good; an error rate: bad).',
        defaultValue: DEFAULT_FIELD_CONFIG.higherIs,
        settings: {
          options: [
            { value: 'good', label: 'Good' },
            { value: 'bad', label: 'Bad' },
            { value: 'neutral', label: 'Neither' },
          ],
        },
      }),
  })
  .setPanelOptions((builder) =>
    builder
      .addRadio<PanelView, { options: Array<SelectableValue<PanelView>> }>({
        path: 'view',
        name: 'View',
        defaultValue: 'cards',
        settings: {
          options: [
            { value: 'cards', label: 'Metric cards' },
            { value: 'console', label: 'Command console' },
          ],
        },
      })
      // ---- cards ----
      .addMultiSelect<
        string,
        { options: Array<SelectableValue<string>>; getOptions: (ctx: { data?: Parameters<typeof cardFieldNames>[0] }) => Promise<Array<SelectableValue<string>>> }
      >({
        path: 'cards.fields',
        name: 'Fields',
        description: 'Show only these series; empty shows every numeric field.',
        category: CARDS,
        // No defaultValue: the builder types it as one option, not a list; absent means "all".
        settings: {
          options: [],
          getOptions: async (ctx) => cardFieldNames(ctx.data ?? []).map((name) => ({ value: name, label: name })),
        },
        showIf: isCards,
      })
      .addSliderInput({
        path: 'cards.columns',
        name: 'Columns',
        description: '0 fits as many cards per row as the card size allows.',
        category: CARDS,
        defaultValue: DEFAULT_CARDS.columns,
        settings: { min: 0, max: 12, step: 1 },
        showIf: isCards,
      })
      .addRadio<CardSize, { options: Array<SelectableValue<CardSize>> }>({
        path: 'cards.size',
        name: 'Card size',
        category: CARDS,
        defaultValue: DEFAULT_CARDS.size,
        settings: {
          options: [
            { value: 'sm', label: 'Small' },
            { value: 'md', label: 'Medium' },
            { value: 'lg', label: 'Large' },
          ],
        },
        showIf: isCards,
      })
      .addRadio<number, { options: Array<SelectableValue<number>> }>({
        path: 'cards.lookbackSeconds',
        name: 'Change against',
        description: 'The delta compares the latest value with the value this long before it.',
        category: CARDS,
        defaultValue: DEFAULT_CARDS.lookbackSeconds,
        settings: { options: LOOKBACK_CHOICES.map((c) => ({ value: c.value, label: `${c.label} ago` })) },
        showIf: isCards,
      })
      .addBooleanSwitch({ path: 'cards.showTitle', name: 'Show title', category: CARDS, defaultValue: DEFAULT_CARDS.showTitle, showIf: isCards })
      .addBooleanSwitch({
        path: 'cards.showState',
        name: 'Show threshold state',
        description: 'An icon and a word (Normal, Warning, Critical) beside the colour.',
        category: CARDS,
        defaultValue: DEFAULT_CARDS.showState,
        showIf: isCards,
      })
      .addBooleanSwitch({ path: 'cards.showDelta', name: 'Show change', category: CARDS, defaultValue: DEFAULT_CARDS.showDelta, showIf: isCards })
      .addBooleanSwitch({ path: 'cards.showSparkline', name: 'Show sparkline', category: CARDS, defaultValue: DEFAULT_CARDS.showSparkline, showIf: isCards })
      .addBooleanSwitch({ path: 'cards.showLinks', name: 'Show data links', category: CARDS, defaultValue: DEFAULT_CARDS.showLinks, showIf: isCards })
      .addNumberInput({
        path: 'cards.maxCards',
        name: 'Most cards',
        description: 'A query returning more series shows the first ones and says how many are left out.',
        category: CARDS,
        defaultValue: DEFAULT_CARDS.maxCards,
        settings: { min: 1, max: 500, integer: true },
        showIf: isCards,
      })
      // ---- console ----
      .addCustomEditor({
        id: 'runboard-console-datasource',
        path: 'console.datasource',
        name: 'Runboard datasource',
        description: 'Commands, runs and templates come from this datasource; empty uses the first Runboard datasource.',
        category: CONSOLE,
        defaultValue: DEFAULT_CONSOLE.datasource,
        editor: DatasourceEditor,
        showIf: isConsole,
      })
      .addNumberInput({
        path: 'console.historyPageSize',
        name: 'History page size',
        category: CONSOLE,
        defaultValue: DEFAULT_CONSOLE.historyPageSize,
        settings: { min: 1, max: 100, integer: true },
        showIf: isConsole,
      })
      .addBooleanSwitch({ path: 'console.showHistory', name: 'Show history', category: CONSOLE, defaultValue: DEFAULT_CONSOLE.showHistory, showIf: isConsole })
      .addBooleanSwitch({ path: 'console.showTemplates', name: 'Show templates', category: CONSOLE, defaultValue: DEFAULT_CONSOLE.showTemplates, showIf: isConsole }),
  );
