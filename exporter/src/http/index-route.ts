import type { RequestHandler } from 'express';
import { API_PREFIX } from '@runboard/protocol';
import { VERSION } from '../version';

/**
 * `GET /`: where to go from here, for a person who opens the exporter's address. Public like
 * health, and it names nothing health does not (the version) beyond the routes the README lists.
 */
export function indexRoute(): RequestHandler {
  const body = JSON.stringify({
    name: 'Runboard exporter',
    version: VERSION,
    endpoints: {
      metrics: '/metrics',
      health: `${API_PREFIX}/health`,
      series: `${API_PREFIX}/series`,
      latest: `${API_PREFIX}/latest`,
      history: `${API_PREFIX}/history`,
      stream: `${API_PREFIX}/stream`,
      ingest: `${API_PREFIX}/ingest`,
      commands: `${API_PREFIX}/commands`,
      runs: `${API_PREFIX}/runs`,
      templates: `${API_PREFIX}/templates`,
      costs: `${API_PREFIX}/costs`,
      costRecords: `${API_PREFIX}/costs/records`,
    },
    auth: 'Authorization: Bearer <API token printed at start>; health and this index never need it',
    docs: 'README.md of the Runboard repository: sections "HTTP API", "Authentication" and "CLI"',
  });
  return (_req, res) => {
    res.type('application/json; charset=utf-8').send(body);
  };
}
