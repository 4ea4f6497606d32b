#!/usr/bin/env node
// A sample AI task: works through steps, reports progress with `::progress` and each model
// call with `::llm`, so the console shows a live progress bar and the run's tokens and cost.
'use strict';
const { parseArgs } = require('node:util');
// parseArgs stops at `--`: the topic after it is text even when it reads `--fail`.
const { values, positionals } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    'delay-ms': { type: 'string', default: '300' },
    model: { type: 'string', default: 'gpt-4o-mini' },
    fail: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const steps = Number(values.steps);
const delayMs = Number(values['delay-ms']);
const model = values.model;
const fail = values.fail;
const provider = model.startsWith('claude') ? 'anthropic' : model.startsWith('gemini') ? 'google' : 'openai';
const topic = positionals.join(' ') || 'demo';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  console.log(`sample-task: ${steps} steps on "${topic}" with ${model}`);
  for (let i = 1; i <= steps; i++) {
    await sleep(delayMs);
    const input = 400 + Math.round(Math.random() * 800);
    const output = 80 + Math.round(Math.random() * 300);
    console.log(`step ${i}/${steps}: asked ${model} (${input} tokens in, ${output} out)`);
    console.log(`::llm provider=${provider} model=${model} input_tokens=${input} output_tokens=${output} duration_seconds=${(delayMs / 1000).toFixed(3)}`);
    console.log(`::progress ${Math.round((i / steps) * 100)} step ${i} of ${steps}`);
    if (fail && i === Math.ceil(steps / 2)) {
      console.error(`step ${i} failed: the model returned an invalid answer`);
      process.exit(1);
    }
  }
  console.log('sample-task: done');
})();
