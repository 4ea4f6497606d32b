// What both plugins add to create-plugin's Jest base (each plugin's .config/jest.config.js), for
// tests kept next to a plugin's sources (src/**/*.test.ts[x]). The plugins' tests live in the
// repository's tests/ folder and run from the root jest.config.js ("plugins" project), which
// `npm test` runs.
'use strict';

/** The sources use the automatic JSX runtime (tsconfig "jsx": "react-jsx", webpack.config.ts). */
module.exports = function extendJestConfig(base) {
  const [pattern, [transformer, options]] = Object.entries(base.transform)[0];
  return {
    ...base,
    transform: {
      [pattern]: [transformer, { ...options, jsc: { ...options.jsc, transform: { react: { runtime: 'automatic' } } } }],
    },
  };
};
