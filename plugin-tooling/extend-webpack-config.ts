/**
 * What both plugins add to @grafana/create-plugin's webpack config (each plugin's .config/, which
 * `npx @grafana/create-plugin update` replaces, so it is never edited), as Grafana's "Extend
 * default configurations" guide describes: what this monorepo needs (README "Grafana plugins").
 * Each plugin's webpack.config.ts passes its own base config here.
 */
import path from 'node:path';
import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration, RuleSetRule } from 'webpack';
import { merge, mergeWithCustomize, mergeWithRules, unique } from 'webpack-merge';

const REPO_ROOT = path.resolve(__dirname, '..');

/** The plugin's base config, its `--env`, and the base's copy patterns (.config/bundler/copyFiles). */
export function extendPluginConfig(base: Configuration, env: { production?: boolean }, copyFilePatterns: ReadonlyArray<{ from: string; to: string }>): Configuration {
  const swc = (base.module?.rules ?? []).find((rule): rule is RuleSetRule =>
    Boolean(rule && typeof rule === 'object' && (rule.use as { loader?: string })?.loader === 'swc-loader'),
  );
  if (!swc) throw new Error('.config/webpack/webpack.config.ts has no swc-loader rule to extend');

  const withRules = mergeWithRules({ module: { rules: { test: 'match', use: 'replace' } } })(base, {
    module: {
      rules: [
        {
          test: swc.test,
          // The sources write JSX without importing React (the automatic runtime); Grafana
          // shares react/jsx-runtime with plugins, so it stays an external.
          use: merge(swc.use as object, { options: { jsc: { transform: { react: { runtime: 'automatic' } } } } }),
        },
      ],
    },
  });

  return mergeWithCustomize({
    customizeArray: unique('plugins', [CopyWebpackPlugin.name], (plugin: object) => plugin.constructor?.name),
  })(withRules, {
    // As quiet as the other workspaces' builds under `npm run build`.
    stats: env.production ? 'errors-warnings' : 'normal',
    resolve: {
      // The workspace package is compiled from its committed TypeScript (protocol/src), not its
      // built dist/, so the source map names files that exist in the repository
      // (`@runboard/protocol/sse` → ../protocol/src/sse.ts).
      alias: { '@runboard/protocol': path.join(REPO_ROOT, 'protocol/src') },
    },
    output: {
      // npm workspaces hoist packages to the repository root's node_modules; name them the way a
      // standalone plugin's build does (`../node_modules/…` from src/), which is what Grafana's
      // plugin validator skips when it compares the source map with the sources.
      devtoolModuleFilenameTemplate: (info: { namespace: string; resourcePath: string; absoluteResourcePath: string; loaders: string }) => {
        const marker = `${path.sep}node_modules${path.sep}`;
        const at = info.absoluteResourcePath.indexOf(marker);
        const name = at !== -1 && !/^\.\.?\/node_modules\//.test(info.resourcePath) ? `../node_modules/${info.absoluteResourcePath.slice(at + marker.length)}` : info.resourcePath;
        return `webpack://${info.namespace}/${name}${info.loaders ? `?${info.loaders}` : ''}`;
      },
    },
    plugins: [
      // The base copies ../LICENSE from src/, i.e. a LICENSE in the plugin folder; the one
      // LICENSE is at the repository root.
      new CopyWebpackPlugin({
        patterns: copyFilePatterns.map((pattern) => (pattern.from === '../LICENSE' ? { ...pattern, from: path.join(REPO_ROOT, 'LICENSE') } : pattern)),
      }),
    ],
  });
}
