/**
 * Both plugins are built by @grafana/create-plugin's tooling (each plugin's `.config/`, extended
 * by its own webpack.config.ts, README "Grafana plugins"), and their source maps match the
 * committed sources the way Grafana's plugin validator checks them: it strips
 * `webpack://<plugin id>/` from each entry of `sources`, joins the rest to the plugin's `src/`
 * folder and compares that file with `sourcesContent`, skipping webpack's runtime, externals and
 * paths starting with `../node_modules`. The root `npm test` builds the plugins first
 * (`npm run build`); this test only reads what the build wrote.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const PLUGINS = ['datasource-plugin', 'panel-plugin'];

/** The `.config/` files create-plugin scaffolds identically for every plugin type. */
const SHARED_CONFIG_FILES = [
  '.cprc.json',
  'tsconfig.json',
  'jest.config.js',
  'jest-setup.js',
  'webpack/webpack.config.ts',
  'webpack/BuildModeWebpackPlugin.ts',
  'bundler/constants.ts',
  'bundler/copyFiles.ts',
  'bundler/externals.ts',
  'bundler/utils.ts',
];

describe.each(PLUGINS)('%s', (plugin) => {
  const dir = path.join(ROOT, plugin);
  const id = (JSON.parse(fs.readFileSync(path.join(dir, 'src/plugin.json'), 'utf8')) as { id: string }).id;

  test('is on create-plugin tooling: .config/ from the scaffold, extended by the plugin own configs', () => {
    const cprc = JSON.parse(fs.readFileSync(path.join(dir, '.config/.cprc.json'), 'utf8')) as { version: string };
    expect(cprc.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(fs.readFileSync(path.join(dir, '.config/webpack/webpack.config.ts'), 'utf8')).toContain('THIS FILE WAS SCAFFOLDED BY `@grafana/create-plugin`');

    const webpackConfig = fs.readFileSync(path.join(dir, 'webpack.config.ts'), 'utf8');
    expect(webpackConfig).toMatch(/^import \w+.* from '\.\/\.config\/webpack\/webpack\.config(\.ts)?';$/m);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toMatch(/\bwebpack -c \.\/webpack\.config\.ts --env production\b/);
    const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')) as { extends: string };
    expect(tsconfig.extends).toBe('./.config/tsconfig.json');
  });

  test('dist/module.js.map names only committed source files, with their exact contents', () => {
    const mapFile = path.join(dir, 'dist/module.js.map');
    if (!fs.existsSync(mapFile)) throw new Error(`${plugin}/dist/module.js.map is missing: run \`npm run build\` first`);
    const map = JSON.parse(fs.readFileSync(mapFile, 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    expect(map.sourcesContent).toHaveLength(map.sources.length);

    const prefix = `webpack://${id}/`;
    const checked: string[] = [];
    const problems: string[] = [];
    map.sources.forEach((source, i) => {
      if (!source.startsWith(prefix)) return problems.push(`${source}: not under ${prefix}`);
      const name = source.slice(prefix.length).replace(/^\/+/, '');
      if (name.startsWith('external ') || name.startsWith('webpack/')) return;
      if (name.includes('node_modules/')) {
        // Not committed, so the validator must skip it: it does for `../node_modules/…` only.
        if (!name.startsWith('../node_modules/') && !name.startsWith('./node_modules/')) problems.push(`${name}: a node_modules path the validator would compare`);
        return;
      }
      const file = path.join(dir, 'src', name);
      const inRepo = path.relative(ROOT, file);
      if (inRepo.startsWith('..') || /(^|\/)(dist|node_modules)\//.test(inRepo)) return problems.push(`${name}: resolves outside the committed sources (${inRepo})`);
      if (!fs.existsSync(file)) return problems.push(`${name}: no such file (${inRepo})`);
      if (fs.readFileSync(file, 'utf8') !== map.sourcesContent![i]) return problems.push(`${name}: sourcesContent differs from ${inRepo}`);
      checked.push(inRepo);
    });
    expect(problems).toEqual([]);
    expect(checked).toContain(`${plugin}/src/module.ts`);
  });
});

test('both plugins carry the same unedited create-plugin .config files', () => {
  for (const file of SHARED_CONFIG_FILES) {
    const [a, b] = PLUGINS.map((plugin) => fs.readFileSync(path.join(ROOT, plugin, '.config', file), 'utf8'));
    expect({ file, same: a === b }).toEqual({ file, same: true });
  }
});
