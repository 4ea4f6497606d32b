'use strict';
/**
 * The floor of the stack Runboard is built on: an Express app serving prom-client's default
 * metrics (the event-loop monitor at 100 ms, not prom-client's 10 ms: the cheaper common setting)
 * and nothing else. The collection benchmark
 * runs it idle next to Runboard, so its CPU and RSS show what Node, Express and prom-client cost
 * before Runboard does anything. Plain JavaScript, run by plain `node`: the bench's TypeScript
 * loader would add the compiler to the memory measured.
 */
const express = require('express');
const { Registry, collectDefaultMetrics } = require('prom-client');

const registry = new Registry();
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
const app = express();
app.get('/metrics', async (_req, res) => {
  res.set('Content-Type', registry.contentType);
  res.send(await registry.metrics());
});
const server = app.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
