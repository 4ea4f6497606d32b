/**
 * The ingest load generator: autocannon in its own process, POSTing one pre-built body (a batch
 * of records) over keep-alive connections for a fixed time. One run per parent message.
 */
import autocannon from 'autocannon';
import { serveWorker } from '../lib/child';

interface Run {
  url: string;
  token: string;
  body: string;
  connections: number;
  seconds: number;
}

serveWorker(
  (msg: Run) =>
    new Promise((resolve, reject) => {
      autocannon(
        {
          url: `${msg.url}/api/v1/ingest`,
          method: 'POST',
          headers: { authorization: `Bearer ${msg.token}`, 'content-type': 'application/json' },
          body: msg.body,
          connections: msg.connections,
          pipelining: 1,
          duration: msg.seconds,
          timeout: 30,
        },
        (err: Error | null, r: autocannon.Result) => {
          if (err) return reject(err);
          const stats = r.statusCodeStats ?? {};
          const ok = Object.entries(stats)
            .filter(([code]) => code.startsWith('2'))
            .reduce((n, [, s]) => n + Number(s.count), 0);
          resolve({
            ok,
            non2xx: r.non2xx,
            errors: r.errors,
            timeouts: r.timeouts,
            seconds: r.duration,
            latencyP50: r.latency.p50,
            latencyP99: r.latency.p99,
            statusCodes: Object.keys(stats),
          });
        },
      );
    }),
);
