/**
 * The plugin as Grafana loads it: plugin.json, the options module.ts declares (paths, defaults,
 * which view shows them), and the built bundle (the root `npm test` builds it in pretest).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PanelOptionsEditorBuilder, standardEditorsRegistry, standardFieldConfigEditorRegistry } from '@grafana/data';
import { plugin } from '../../panel-plugin/src/module';
import type { PanelOptions } from '@runboard/protocol';

// Grafana fills the option editors' registry when it starts; here, stand-ins with the same ids.
const EDITOR_IDS = ['boolean', 'color', 'dashboard-uid', 'field-name', 'multi-select', 'number', 'radio', 'select', 'slider', 'strings', 'text', 'timezone', 'unit'];
standardEditorsRegistry.setInit(() => EDITOR_IDS.map((id) => ({ id, name: id, editor: () => null })));
// …and of the standard field options, the one the panel sets a default for.
standardFieldConfigEditorRegistry.setInit(() => [
  { id: 'color', path: 'color', name: 'Color scheme', editor: () => null, override: () => null, process: (v: unknown) => v, shouldApply: () => true },
]);

const ROOT = path.resolve(__dirname, '../../panel-plugin');

test('plugin.json: a panel with the public id, logo, version placeholders and Grafana dependency', () => {
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/plugin.json'), 'utf8'));
  expect(json).toMatchObject({
    type: 'panel',
    id: 'runboard-console-panel',
    info: { version: '%VERSION%', updated: '%TODAY%', logos: { small: 'img/logo.svg' } },
    dependencies: { grafanaDependency: '>=12.4.10' },
  });
  expect(fs.existsSync(path.join(ROOT, 'src', json.info.logos.large))).toBe(true);
  for (const doc of ['README.md', 'CHANGELOG.md']) {
    expect(fs.existsSync(path.join(ROOT, doc))).toBe(true);
  }
});

test('panel options: paths, defaults, and each shown only for its view', () => {
  const builder = new PanelOptionsEditorBuilder<PanelOptions>();
  plugin.getPanelOptionsSupplier()(builder, { data: [] });
  const items = builder.getItems();
  const byPath = Object.fromEntries(items.map((i) => [i.path, i]));
  expect(Object.keys(byPath)).toEqual([
    'view',
    'cards.fields',
    'cards.columns',
    'cards.size',
    'cards.lookbackSeconds',
    'cards.showTitle',
    'cards.showState',
    'cards.showDelta',
    'cards.showSparkline',
    'cards.showLinks',
    'cards.maxCards',
    'console.datasource',
    'console.historyPageSize',
    'console.showHistory',
    'console.showTemplates',
  ]);
  expect(byPath['view'].defaultValue).toBe('cards');
  expect(byPath['cards.lookbackSeconds'].settings.options.map((o: { value: number }) => o.value)).toEqual([60, 300, 900]);
  const cards = { view: 'cards' } as PanelOptions;
  const console = { view: 'console' } as PanelOptions;
  expect(byPath['cards.size'].showIf!(cards, [])).toBe(true);
  expect(byPath['cards.size'].showIf!(console, [])).toBe(false);
  expect(byPath['console.datasource'].showIf!(console, [])).toBe(true);
  expect(byPath['console.datasource'].showIf!(cards, [])).toBe(false);
});

test('field config: thresholds colour by default; "higher is" per field', () => {
  expect(plugin.fieldConfigDefaults.defaults.color).toEqual({ mode: 'thresholds' });
  expect(plugin.fieldConfigDefaults.defaults.custom).toEqual({ higherIs: 'neutral' });
});

describe('the built bundle', () => {
  const dist = path.join(ROOT, 'dist');
  const built = fs.existsSync(path.join(dist, 'module.js'));
  (built ? test : test.skip)('is a small AMD module with Grafana, React and emotion left to Grafana', () => {
    const js = fs.readFileSync(path.join(dist, 'module.js'), 'utf8');
    // After create-plugin's banner comments; `module` is the AMD module object its build reads the
    // plugin's public path from.
    const deps = JSON.parse(/^define\((\[[^\]]*\])/m.exec(js)![1]);
    expect(deps.sort()).toEqual(['@emotion/css', '@grafana/data', '@grafana/runtime', '@grafana/ui', 'module', 'react', 'react/jsx-runtime']);
    expect(Buffer.byteLength(js)).toBeLessThan(120_000);
    const map = JSON.parse(fs.readFileSync(path.join(dist, 'module.js.map'), 'utf8')) as { sources: string[] };
    // No npm package bundled; the one node_modules entry is create-plugin's generated public-path module.
    expect(map.sources.filter((s) => s.includes('node_modules') && !s.endsWith('/node_modules/grafana-public-path.js'))).toEqual([]);
    const json = JSON.parse(fs.readFileSync(path.join(dist, 'plugin.json'), 'utf8'));
    expect(json.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(fs.existsSync(path.join(dist, 'img/logo.svg'))).toBe(true);
  });
});
