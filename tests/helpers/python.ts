/**
 * The Python interpreter of the tests' virtual environment (created by tests/python/ensure-venv.js,
 * which `npm test` runs first), with the OpenTelemetry Python SDK and the `openai` package.
 */
import * as path from 'node:path';

export const PYTHON = path.resolve(__dirname, '../../node_modules/.cache/runboard-py/bin/python');
