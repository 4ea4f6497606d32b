/**
 * The one build config both Grafana plugins share, after the @grafana/create-plugin scaffold:
 * an AMD `dist/module.js` with Grafana's shared packages as externals (Grafana's SystemJS loader
 * provides them), a public path resolved at run time from the AMD `module` object, and
 * plugin.json, README, CHANGELOG, LICENSE and images copied into dist/. Run from a plugin folder:
 * `webpack -c ../plugin-build/webpack.config.js --env production`.
 */
const path = require('node:path');
const fs = require('node:fs');
const CopyWebpackPlugin = require('copy-webpack-plugin');

const externals = [
  // Grafana's loader provides the AMD module object (the scaffold reads its URL for asset paths).
  { 'amd-module': 'module' },
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react-dom',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-redux',
  'redux',
  'rxjs',
  'rxjs/operators',
  'i18next',
  'react-router',
  'd3',
  'angular',
  /^@grafana\/ui/i,
  /^@grafana\/runtime/i,
  /^@grafana\/data/i,
  // Legacy SDK imports: "grafana/app/..." resolve to Grafana's own modules.
  ({ request }, callback) => (request && request.startsWith('grafana/') ? callback(undefined, request.slice('grafana/'.length)) : callback()),
];

module.exports = (env = {}) => {
  const root = process.cwd();
  const pluginJson = JSON.parse(fs.readFileSync(path.join(root, 'src/plugin.json'), 'utf8'));
  const production = Boolean(env.production);
  const copy = [
    { from: 'src/plugin.json', to: '.' },
    { from: 'README.md', to: '.', noErrorOnMissing: true },
    { from: 'CHANGELOG.md', to: '.', noErrorOnMissing: true },
    { from: '../LICENSE', to: '.', noErrorOnMissing: true },
    { from: 'src/img', to: 'img', noErrorOnMissing: true },
  ];
  return {
    mode: production ? 'production' : 'development',
    context: root,
    devtool: production ? 'source-map' : 'eval-source-map',
    entry: { module: './src/module.ts' },
    externals,
    output: {
      path: path.join(root, 'dist'),
      filename: '[name].js',
      library: { type: 'amd' },
      // Grafana serves plugins from public/plugins/<id>/; the AMD module object knows the real URL.
      publicPath: `public/plugins/${pluginJson.id}/`,
      uniqueName: pluginJson.id,
      clean: true,
    },
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.jsx'],
    },
    module: {
      rules: [
        {
          test: /\.[tj]sx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                baseUrl: root,
                target: 'es2020',
                loose: false,
                parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
                transform: { react: { runtime: 'automatic' } },
              },
            },
          },
        },
        { test: /\.(png|jpe?g|gif|svg)$/, type: 'asset/resource', generator: { filename: 'img/[name][ext]' } },
      ],
    },
    plugins: [
      new CopyWebpackPlugin({ patterns: copy }),
      // Replace %VERSION% and %TODAY% in plugin.json, as the scaffold does.
      {
        apply(compiler) {
          compiler.hooks.afterEmit.tap('plugin-json-version', () => {
            const out = path.join(root, 'dist', 'plugin.json');
            if (!fs.existsSync(out)) return;
            const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
            const today = new Date().toISOString().slice(0, 10);
            fs.writeFileSync(
              out,
              fs
                .readFileSync(out, 'utf8')
                .replace(/%VERSION%/g, version)
                .replace(/%TODAY%/g, today),
            );
          });
        },
      },
    ],
    performance: { hints: false },
    stats: production ? 'errors-warnings' : 'normal',
  };
};
