#!/usr/bin/env node
// Checks that a URL answers with the expected status within a time limit; exit 0 when it does.
'use strict';
const [url, expected = '200', timeoutSeconds = '10'] = process.argv.slice(2);
(async () => {
  const started = Date.now();
  console.log(`::progress 0 requesting ${url}`);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(Number(timeoutSeconds) * 1000), redirect: 'manual' });
    const ms = Date.now() - started;
    console.log(`${res.status} ${res.statusText} in ${ms} ms`);
    console.log('::progress 100 answered');
    if (String(res.status) !== expected) {
      console.error(`expected status ${expected}, got ${res.status}`);
      process.exit(1);
    }
  } catch (err) {
    console.error(`request failed: ${err.cause?.code ?? err.name}: ${err.message}`);
    process.exit(1);
  }
})();
