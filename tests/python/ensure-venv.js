#!/usr/bin/env node
/**
 * Creates the Python virtual environment the OTLP and proxy tests run their clients in (the
 * OpenTelemetry Python SDK, the official `openai` package), from tests/python/requirements.txt.
 * Run by `npm test` before the tests; does nothing when the environment already matches the
 * requirements file. Needs `python3` with its `venv` module (Debian: python3-venv).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const requirements = path.join(__dirname, 'requirements.txt');
const venv = path.join(root, 'node_modules/.cache/runboard-py');
const stamp = path.join(venv, 'requirements.sha256');
const python = path.join(venv, 'bin/python');

const wanted = createHash('sha256').update(fs.readFileSync(requirements)).digest('hex');
if (fs.existsSync(python) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) process.exit(0);

const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
try {
  fs.rmSync(venv, { recursive: true, force: true });
  run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]);
} catch (err) {
  console.error(`ensure-venv: could not create ${venv} (${err.message.split('\n')[0]}); install python3 and python3-venv`);
  process.exit(1);
}
fs.writeFileSync(stamp, wanted);
console.log(`ensure-venv: Python test clients installed in ${path.relative(root, venv)}`);
