/**
 * Builds the test host's page (src/main.tsx) and the modules it shares with plugins (src/shared.ts:
 * React, @grafana/data|ui|runtime, rxjs, lodash, @emotion/*, … from the real npm packages) for one
 * leg of the version matrix (`--env leg=grafana-12.4|grafana-13.2`, see legs.ts) into
 * tests/e2e/host/dist/<leg>/, once: tests/e2e/host/build.ts rebuilds only when a source changed.
 * Same swc-loader as the plugins' build (create-plugin's .config/webpack, extended by each plugin's webpack.config.ts).
 */
const fs = require('node:fs');
const path = require('node:path');
const webpack = require('webpack');

/** Where each leg's @grafana/* and React are installed (legs.ts `root`). */
const LEG_ROOTS = {
  'grafana-12.4': { version: '12.4.10', root: path.resolve(__dirname, '../../..') },
  'grafana-13.2': { version: '13.2.3', root: path.join(__dirname, 'grafana-13') },
};
/**
 * For a leg installed in its own root: the packages that must come from that root for the host and
 * every library alike (one React, one @grafana/data, one emotion cache, as in Grafana), plus the
 * other modules the host shares with plugins (src/shared.ts) when that root has them.
 */
const FROM_LEG_ROOT = [
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  '@grafana/schema',
  '@grafana/i18n',
  '@grafana/e2e-selectors',
  'react',
  'react-dom',
  '@emotion/css',
  '@emotion/react',
  'rxjs',
  'lodash',
  'moment',
  'i18next',
  'jquery',
  'prismjs',
  'redux',
  'react-redux',
  'react-router-dom',
];

/**
 * Resolves the FROM_LEG_ROOT packages as if imported from the leg's root, wherever the import is
 * (the host's src/, a library in the repo's node_modules). Unlike an alias to a folder, this keeps
 * each package's `exports` map (e.g. `@grafana/data/unstable`) working.
 */
class FromLegRoot {
  constructor(root) {
    this.root = root;
    this.names = new Set(FROM_LEG_ROOT.filter((p) => fs.existsSync(path.join(root, 'node_modules', p, 'package.json'))));
  }
  apply(resolver) {
    const hook = resolver.ensureHook('resolve');
    resolver.getHook('resolve').tapAsync('FromLegRoot', (request, ctx, callback) => {
      const req = request.request;
      const from = request.path;
      if (!req || typeof from !== 'string' || from === this.root || from.startsWith(this.root + path.sep)) return callback();
      const name = req.startsWith('@') ? req.split('/').slice(0, 2).join('/') : req.split('/')[0];
      if (!this.names.has(name)) return callback();
      resolver.doResolve(hook, { ...request, path: this.root }, `${req} from the leg's root`, ctx, callback);
    });
  }
}

module.exports = (env = {}) => {
  const leg = env.leg ?? 'grafana-12.4';
  const { version, root } = LEG_ROOTS[leg] ?? {};
  if (!root) throw new Error(`unknown test host leg "${leg}" (one of ${Object.keys(LEG_ROOTS).join(', ')})`);
  // The 12.4 leg is the repo root's own install: plain node resolution.
  const resolvePlugins = root === LEG_ROOTS['grafana-12.4'].root ? [] : [new FromLegRoot(root)];
  return config(env, leg, version, resolvePlugins);
};

const config = (env, leg, version, resolvePlugins) => ({
  mode: env.development ? 'development' : 'production',
  context: __dirname,
  entry: { host: './src/main.tsx' },
  devtool: 'source-map',
  output: {
    path: path.join(__dirname, 'dist', leg),
    filename: '[name].js',
    chunkFilename: 'chunk-[name].js',
    // From host.js's own URL: Grafana's build URL, under the leg's sub-path.
    publicPath: 'auto',
    clean: true,
  },
  resolve: {
    extensions: ['.ts', '.tsx', '.mjs', '.js', '.jsx', '.json'],
    plugins: resolvePlugins,
  },
  plugins: [new webpack.DefinePlugin({ 'process.env.GRAFANA_RELEASE': JSON.stringify(version) })],
  module: {
    rules: [
      {
        test: /\.[tj]sx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              target: 'es2020',
              parser: { syntax: 'typescript', tsx: true },
              transform: { react: { runtime: 'automatic' } },
            },
          },
        },
      },
      // Some ESM files in @grafana/* import without extensions.
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      { test: /\.css$/, use: path.join(__dirname, 'css-loader.js') },
      { test: /\.(svg|png|woff2?|ttf|eot)$/, type: 'asset/resource' },
    ],
  },
  optimization: {
    // Minifying @grafana/ui costs minutes on two cores and buys nothing on localhost.
    minimize: false,
    splitChunks: false,
  },
  performance: { hints: false },
  stats: 'errors-warnings',
  infrastructureLogging: { level: 'error' },
});
