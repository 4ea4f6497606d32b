/**
 * Lets Node 20 run the benchmark's TypeScript directly: `.ts` files are transpiled on load with
 * TypeScript's transpileModule (no type check: `npx tsc -p bench` does that). Only for bench/ and
 * the test host it loads (tests/e2e/host); the exporter is always the built exporter/dist.
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  esModuleInterop: true,
  jsx: ts.JsxEmit.ReactJSX,
  sourceMap: false,
  inlineSourceMap: true,
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: options, fileName: filename });
  module._compile(outputText, filename);
};
