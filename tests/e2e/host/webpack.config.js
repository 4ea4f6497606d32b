/**
 * Builds the test host's page (src/main.tsx) and the modules it shares with plugins (src/shared.ts:
 * React 18, @grafana/data|ui|runtime, rxjs, lodash, @emotion/*, … from the real npm packages)
 * into tests/e2e/host/dist/, once: tests/e2e/host/build.ts rebuilds only when a source changed.
 * Same swc-loader as the plugins' build (plugin-build/webpack.config.js).
 */
const path = require('node:path');

module.exports = (env = {}) => ({
  mode: env.development ? 'development' : 'production',
  context: __dirname,
  entry: { host: './src/main.tsx' },
  devtool: 'source-map',
  output: {
    path: path.join(__dirname, 'dist'),
    filename: '[name].js',
    chunkFilename: 'chunk-[name].js',
    // Served by the host at Grafana's build URL.
    publicPath: '/public/build/',
    clean: true,
  },
  resolve: {
    extensions: ['.ts', '.tsx', '.mjs', '.js', '.jsx', '.json'],
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
