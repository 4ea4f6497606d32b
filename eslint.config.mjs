// One lint setup for the whole repository (`npm run lint`, part of `npm test`): Grafana's shared
// config (what the plugin scaffold @grafana/create-plugin ships) on top of ESLint's and
// typescript-eslint's recommended rules. Formatting is Prettier's job (.prettierrc);
// @grafana/eslint-config already includes eslint-config-prettier, so no rule here fights it.
// An .mjs file because @grafana/eslint-config is published as ES modules only.
import js from '@eslint/js';
import grafanaConfig from '@grafana/eslint-config';
import { defineConfig } from 'eslint/config';
import reactPlugin from 'eslint-plugin-react';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  {
    ignores: ['**/node_modules/', '**/dist/', '**/.config/', 'coverage/', 'test-results/', 'playwright-report/', 'playwright/.auth/', '.runboard/', 'bench/results/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  grafanaConfig,
  // The plugins and the test host use the automatic JSX runtime (tsconfig "jsx": "react-jsx").
  reactPlugin.configs.flat['jsx-runtime'],
  {
    name: 'runboard/defaults',
    languageOptions: { ecmaVersion: 'latest' },
    rules: {
      // Types are checked by TypeScript; the scaffold turns this off too.
      'react/prop-types': 'off',
      // Grafana's config asks for braces everywhere; this code base writes short guards on one line
      // (`if (!x) return;`) in over a thousand places. Braces stay required once a body leaves the
      // line of its `if`/`else`/loop, which is the mistake the rule exists for.
      curly: ['error', 'multi-line'],
      // @grafana/eslint-config turns this off; unused code is a real finding here.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Plain Node scripts: CommonJS (no "type": "module" in any package.json here).
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Hand-written AMD modules in the shape Grafana loads (the test host's self-test fixtures),
    // kept in the ES5 style of a bundler's output.
    files: ['tests/e2e/host/fixtures/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, ...globals.amd } },
    rules: { 'no-var': 'off' },
  },
  {
    files: ['eslint.config.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
]);
