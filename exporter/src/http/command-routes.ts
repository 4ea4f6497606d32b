/**
 * Routes for commands, runs, run output, templates and costs (README "Commands, runs, templates and costs"). The token is required
 * on all of it, reads included: run output and parameters can be sensitive.
 */
import express, { type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import { ConflictError, NotFoundError, QueueFullError, type CommandService } from '../commands/service';
import { ParameterError, resolveParameters } from '../commands/parameters';
import { describeValue, valueAt } from '../config';
import { putTemplateRequestSchema, startRunRequestSchema, type CommandsResponse, type CostRecordsResponse, type RunsPage } from '@runboard/protocol';
import { TemplateConflictError, type Ledger } from '../store/ledger';
import type { EventStreams } from '../stream/event-stream';
import { FinishedOutputCache, followLive, replayFinished } from '../stream/run-output';
import { badRequest, HttpError } from './errors';
import { costRecordsQuery, costsQuery, parseQuery, runOutputQuery, runsQuery, templatesQuery, withLastEventId } from './query-params';

export function commandRoutes(deps: {
  commands: CommandService;
  ledger: Ledger;
  auth: RequestHandler;
  json: RequestHandler;
  streams: EventStreams;
  runOutputBytes: number;
}): Router {
  const { commands, ledger, auth, json, streams } = deps;
  const r = express.Router();
  r.use(auth);

  r.get('/commands', (_req, res) => {
    const body: CommandsResponse = { commands: commands.list() };
    res.json(body);
  });

  r.post('/commands/:id/runs', json, (req, res) => {
    const body = parseBody(startRunRequestSchema, req.body ?? {});
    try {
      const run = commands.start(String(req.params.id), { ...body, ...grafanaOrigin(req) });
      res.status(202).location(`/api/v1/runs/${run.id}`).json(run);
    } catch (err) {
      throw mapError(err);
    }
  });

  r.get('/runs', (req, res) => {
    const q = parseQuery(runsQuery, req.query);
    const now = Date.now();
    const { limit, offset } = q;
    const page = ledger.listRuns({ command: q.command, outcome: q.outcome, status: q.status, from: q.from?.(now), to: q.to?.(now), limit, offset });
    // Live runs know more than their ledger row (progress, queue position, tokens so far).
    const runs = page.runs.map((run) => (run.status === 'finished' ? run : (commands.get(run.id) ?? run)));
    const body: RunsPage = { runs, total: page.total, limit, offset };
    res.json(body);
  });

  r.get('/runs/:id', (req, res) => {
    const run = commands.get(String(req.params.id));
    if (!run) throw new HttpError(404, 'not_found', `no run "${req.params.id}"`);
    res.json(run);
  });

  r.post('/runs/:id/cancel', (req, res) => {
    try {
      res.status(202).json(commands.cancel(String(req.params.id)));
    } catch (err) {
      throw mapError(err);
    }
  });

  // Finished runs' output, formatted once for all readers; a few runs' worth (run-output.ts).
  const finished = new FinishedOutputCache(8 * deps.runOutputBytes);
  r.get('/runs/:id/output', (req, res) => {
    const id = String(req.params.id);
    const after = parseQuery(runOutputQuery, withLastEventId(req.query, req.headers['last-event-id']))['Last-Event-ID'] ?? -1;
    if (req.method === 'HEAD') {
      // Headers only: a live run's stream would otherwise stay open, unread, until the run ends.
      if (!commands.get(id)) throw new HttpError(404, 'not_found', `no run "${id}"`);
      return void res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform' }).end();
    }
    // Admitted before anything is read: a client over its limit costs no ledger read.
    const refused = streams.admit(req);
    if (refused) {
      res.setHeader('Retry-After', String(refused.retryAfterSeconds));
      throw new HttpError(refused.status, refused.code, refused.message);
    }
    const follow = followLive(after);
    const sub = commands.subscribe(id, follow.listener);
    if (!sub) throw new HttpError(404, 'not_found', `no run "${id}"`);
    if (!sub.live) {
      const output = finished.get(id, sub.storedLines);
      return replayFinished(streams.open(req, res), sub.info, output, after);
    }
    const stream = streams.open(req, res);
    stream.whenClosed(sub.unsubscribe);
    follow.start(stream, sub.info, sub.lines);
  });

  r.get('/templates', (req, res) => {
    res.json({ templates: ledger.listTemplates(parseQuery(templatesQuery, req.query).command) });
  });

  r.get('/templates/:id', (req, res) => {
    const t = ledger.getTemplate(String(req.params.id));
    if (!t) throw new HttpError(404, 'not_found', `no template "${req.params.id}"`);
    res.json(t);
  });

  const putTemplate = (id: string | undefined) => (req: express.Request, res: Response) => {
    const body = parseBody(putTemplateRequestSchema, req.body ?? {});
    const spec = commands.spec(body.command);
    if (!spec) throw badRequest('command', `no command "${body.command}"`);
    let parameters;
    try {
      parameters = resolveParameters(spec, body.parameters);
    } catch (err) {
      throw mapError(err);
    }
    const existing = id !== undefined ? ledger.getTemplate(id) : undefined;
    let t;
    try {
      t = ledger.putTemplate({ id, command: spec.id, name: body.name, parameters });
    } catch (err) {
      throw mapError(err);
    }
    res.status(existing || id === undefined ? 200 : 201).json(t);
  };
  r.put('/templates/:id', json, (req, res) => putTemplate(String(req.params.id))(req, res));
  // POST creates with a server-chosen id (PUT to a new id works too).
  r.post('/templates', json, (req, res) => putTemplate(undefined)(req, res));

  r.delete('/templates/:id', (req, res) => {
    if (!ledger.deleteTemplate(String(req.params.id))) throw new HttpError(404, 'not_found', `no template "${req.params.id}"`);
    res.status(204).end();
  });

  r.get('/costs', (req, res) => {
    const { groupBy, source, from, to, format } = parseQuery(costsQuery, req.query);
    const costs = ledger.costs(groupBy, from, to, source);
    if (format === 'json') return void res.json(costs);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="runboard-costs-by-${groupBy}.csv"`);
    const lines = [`${groupBy},requests,input_tokens,output_tokens,cost_usd,unpriced`];
    for (const row of costs.rows) lines.push([csvField(row.key), row.requests, row.inputTokens, row.outputTokens, row.costUsd, row.unpriced].join(','));
    res.send(lines.join('\n') + '\n');
  });

  r.get('/costs/records', (req, res) => {
    const { source, limit, from, to, format } = parseQuery(costRecordsQuery, req.query);
    // One more than asked tells whether there are more.
    const records = ledger.costRecords({ from, to, sources: source, limit: limit + 1 });
    const truncated = records.length > limit;
    if (truncated) records.length = limit;
    if (format === 'json') {
      const body: CostRecordsResponse = { from, to, records, truncated };
      return void res.json(body);
    }
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="runboard-cost-records.csv"');
    const columns = ['t', 'provider', 'model', 'input_tokens', 'output_tokens', 'cost_usd', 'priced', 'duration_seconds', 'success', 'run_id', 'command', 'source', 'tag'] as const;
    const lines: string[] = [columns.join(',')];
    for (const rec of records) lines.push(columns.map((c) => (rec[c] === null ? '' : typeof rec[c] === 'string' ? csvField(rec[c]) : String(rec[c]))).join(','));
    res.send(lines.join('\n') + '\n');
  });

  return r;
}

/**
 * What Grafana's data proxy said about the request: X-Grafana-User (send_user_header; Grafana
 * removes one the browser sent) and X-Runboard-Via, a route header of the datasource's plugin.json.
 */
function grafanaOrigin(req: express.Request): { grafanaUser?: string; viaGrafana: boolean } {
  const user = req.headers['x-grafana-user'];
  // Node reads header bytes as latin1; Grafana sends the login as UTF-8.
  const grafanaUser = typeof user === 'string' ? Buffer.from(user, 'latin1').toString('utf8') : undefined;
  return { grafanaUser, viaGrafana: req.headers['x-runboard-via'] === 'grafana' };
}

/** RFC 4180: quote fields with commas, quotes or line breaks; neutralise spreadsheet formulas. */
export function csvField(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') path.push(issue.keys[0]);
  const field = path.join('.') || 'body';
  const value = valueAt(body, issue.path);
  const reason =
    issue.code === 'unrecognized_keys'
      ? 'unknown field'
      : issue.code === 'invalid_type' && value !== undefined
        ? `expected ${issue.expected}, got ${describeValue(value)}`
        : issue.message;
  throw badRequest(field, reason);
}

function mapError(err: unknown): unknown {
  if (err instanceof ParameterError) return badRequest(err.field, err.reason);
  if (err instanceof NotFoundError) return new HttpError(404, 'not_found', err.message);
  if (err instanceof ConflictError) return new HttpError(409, 'conflict', err.message);
  if (err instanceof QueueFullError) return new HttpError(429, 'queue_full', err.message);
  // PUT /templates/:id giving a template the command + name another one has.
  if (err instanceof TemplateConflictError) return new HttpError(409, 'conflict', err.message, 'name');
  return err;
}
