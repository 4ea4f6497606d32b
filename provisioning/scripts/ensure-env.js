#!/usr/bin/env node
// `npm run stack` step 1: creates .env from .env.example on the first run, with a random API
// token in place of the example's, so the exporter and Grafana share a secret nobody else knows.
// An existing .env is left alone. Optional argument: the directory holding .env.example (default:
// the repository root).
'use strict';
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..'));
const env = path.join(root, '.env');
const example = path.join(root, '.env.example');

if (fs.existsSync(env)) {
  console.log('.env exists: using it');
} else {
  const token = randomBytes(24).toString('hex');
  const text = fs.readFileSync(example, 'utf8').replace(/^RUNBOARD_API_TOKEN=.*$/m, `RUNBOARD_API_TOKEN=${token}`);
  fs.writeFileSync(env, text, { mode: 0o600 });
  console.log('created .env from .env.example with a random RUNBOARD_API_TOKEN');
}
