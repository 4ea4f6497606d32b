/**
 * The option registries Grafana fills at boot (public/app/core/components/OptionsUI/registry.tsx:
 * `standardEditorsRegistry.setInit(getAllOptionEditors)`,
 * `standardFieldConfigEditorRegistry.setInit(getAllStandardFieldConfigs)`). Panel plugins need
 * them: `PanelOptionsEditorBuilder.addTextInput()` & co. look editors up by id, and
 * `applyFieldOverrides` applies only the standard field options registered here (unit, decimals,
 * min/max, thresholds with Grafana's green/red-at-80 default, mappings, …). The host never shows
 * an options pane, so the editors are inert placeholders; ids, paths, processors, defaults and
 * `shouldApply` rules are Grafana's.
 */
import {
  booleanOverrideProcessor,
  dataLinksOverrideProcessor,
  displayNameOverrideProcessor,
  FieldType,
  identityOverrideProcessor,
  numberOverrideProcessor,
  standardEditorsRegistry,
  standardFieldConfigEditorRegistry,
  stringOverrideProcessor,
  thresholdsOverrideProcessor,
  ThresholdsMode,
  valueMappingsOverrideProcessor,
  type FieldConfigPropertyItem,
  type StandardEditorsRegistryItem,
} from '@grafana/data';

const NoEditor = () => null;

const EDITOR_IDS: Array<[id: string, name: string]> = [
  ['text', 'Text'],
  ['number', 'Number'],
  ['slider', 'Slider'],
  ['boolean', 'Boolean'],
  ['radio', 'Radio'],
  ['select', 'Select'],
  ['unit', 'Unit'],
  ['links', 'Links'],
  ['actions', 'Actions'],
  ['stats-picker', 'Stats Picker'],
  ['strings', 'String array'],
  ['timezone', 'Time zone'],
  ['fieldColor', 'Field Color'],
  ['color', 'Color'],
  ['multi-select', 'Multi select'],
  ['field-name', 'Field name'],
  ['dashboard-uid', 'Dashboard'],
  ['mappings', 'Mappings'],
  ['thresholds', 'Thresholds'],
];

function optionEditors(): StandardEditorsRegistryItem[] {
  return EDITOR_IDS.map(([id, name]) => ({ id, name, description: name, editor: NoEditor }));
}

function standardFieldConfigs(): FieldConfigPropertyItem[] {
  const base = { editor: NoEditor, override: NoEditor, category: ['Standard options'] };
  const isNumber = (f: { type: FieldType }) => f.type === FieldType.number;
  const items: FieldConfigPropertyItem[] = [
    { ...base, id: 'unit', path: 'unit', name: 'Unit', process: stringOverrideProcessor, settings: { placeholder: 'none' }, shouldApply: () => true },
    { ...base, id: 'min', path: 'min', name: 'Min', process: numberOverrideProcessor, settings: { placeholder: 'auto' }, shouldApply: isNumber },
    { ...base, id: 'max', path: 'max', name: 'Max', process: numberOverrideProcessor, settings: { placeholder: 'auto' }, shouldApply: isNumber },
    { ...base, id: 'fieldMinMax', path: 'fieldMinMax', name: 'Field min/max', process: booleanOverrideProcessor, shouldApply: isNumber },
    {
      ...base,
      id: 'decimals',
      path: 'decimals',
      name: 'Decimals',
      process: numberOverrideProcessor,
      settings: { placeholder: 'auto', min: 0, max: 15, integer: true },
      shouldApply: isNumber,
    },
    {
      ...base,
      id: 'displayName',
      path: 'displayName',
      name: 'Display name',
      process: displayNameOverrideProcessor,
      settings: { placeholder: 'none', expandTemplateVars: true },
      shouldApply: () => true,
    },
    {
      ...base,
      id: 'color',
      path: 'color',
      name: 'Color scheme',
      process: identityOverrideProcessor,
      settings: { byValueSupport: true, preferThresholdsMode: true },
      shouldApply: () => true,
    },
    { ...base, id: 'noValue', path: 'noValue', name: 'No value', process: stringOverrideProcessor, settings: { placeholder: '-' }, shouldApply: () => true },
    {
      ...base,
      id: 'links',
      path: 'links',
      name: 'Data links',
      process: dataLinksOverrideProcessor,
      settings: { showOneClick: false },
      shouldApply: () => true,
      category: ['Data links and actions'],
    },
    {
      ...base,
      id: 'actions',
      path: 'actions',
      name: 'Actions',
      process: identityOverrideProcessor,
      settings: { showOneClick: false },
      shouldApply: () => true,
      category: ['Data links and actions'],
      hideFromDefaults: true,
    },
    {
      ...base,
      id: 'mappings',
      path: 'mappings',
      name: 'Value mappings',
      process: valueMappingsOverrideProcessor,
      settings: {},
      defaultValue: [],
      shouldApply: (f) => f.type !== FieldType.time,
      category: ['Value mappings'],
    },
    {
      ...base,
      id: 'thresholds',
      path: 'thresholds',
      name: 'Thresholds',
      process: thresholdsOverrideProcessor,
      settings: {},
      defaultValue: {
        mode: ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: 'green' },
          { value: 80, color: 'red' },
        ],
      },
      shouldApply: () => true,
      category: ['Thresholds'],
    },
    { ...base, id: 'filterable', path: 'filterable', name: 'Ad-hoc filterable', process: booleanOverrideProcessor, settings: {}, shouldApply: () => true, hideFromDefaults: true },
  ];
  return items;
}

export function initOptionRegistries(): void {
  standardEditorsRegistry.setInit(optionEditors);
  standardFieldConfigEditorRegistry.setInit(standardFieldConfigs);
}
