// create-plugin's Jest base (.config/jest.config.js), for tests kept next to the plugin's sources
// (src/**/*.test.ts[x]). The plugin's tests live in the repository's tests/ folder and run from the
// root jest.config.js ("plugins" project), which `npm test` runs.
// Force UTC, as the scaffold does, so date formatting does not depend on the machine's zone.
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

const [pattern, [transformer, options]] = Object.entries(base.transform)[0];

module.exports = {
  ...base,
  // The sources use the automatic JSX runtime (tsconfig "jsx": "react-jsx", webpack.config.ts).
  transform: {
    [pattern]: [transformer, { ...options, jsc: { ...options.jsc, transform: { react: { runtime: 'automatic' } } } }],
  },
};
