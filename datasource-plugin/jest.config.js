// create-plugin's Jest base (.config/jest.config.js) with what both plugins add
// (plugin-tooling/extend-jest-config.js).
// Force UTC, as the scaffold does, so date formatting does not depend on the machine's zone.
process.env.TZ = 'UTC';

module.exports = require('../plugin-tooling/extend-jest-config')(require('./.config/jest.config'));
