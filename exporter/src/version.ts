// Read at run time so the version has one home: exporter/package.json.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = require('../package.json').version;
