/**
 * The Host allow-list (`server.allowedHosts`, README "Configuration"). A DNS-rebinding page is
 * served from the attacker's name, then points that name at 127.0.0.1: the browser now sends
 * same-origin requests to the exporter, but always with the attacker's name in Host. Answering
 * only the names this exporter is known by stops that page from reading anything, /metrics and
 * /api/v1/health included.
 */
import net from 'node:net';
import os from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './errors';

/** The compose service name Prometheus and Grafana reach the exporter by (docker-compose.yml). */
export const COMPOSE_SERVICE_NAME = 'exporter';

/**
 * The hostname part of a Host header, lower-cased, without the port, brackets or a trailing dot;
 * undefined when the header is absent.
 */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  let h = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](:\d*)?$/.exec(h);
  if (bracketed) {
    h = bracketed[1];
  } else if (!net.isIPv6(h)) {
    // A malformed `[…]…` stays whole, so it matches nothing.
    h = h.replace(/:\d*$/, '');
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * A predicate on the Host header. Always allowed besides the configured names: `localhost` and
 * `*.localhost` (browsers resolve them to loopback themselves), any IP literal (a rebinding page
 * is reached by a name, so its Host is never an IP), the bind address, this machine's name and
 * the compose service name. A request without Host is allowed: every browser sends one, and
 * HTTP/1.1 without it is refused by the app (400) anyway.
 */
export function hostChecker(opts: { bindHost: string; allowedHosts: readonly string[]; machineName?: string }): (header: string | undefined) => boolean {
  const configured = opts.allowedHosts.map((h) => h.toLowerCase().replace(/\.$/, ''));
  if (configured.includes('*')) return () => true;
  const exact = new Set<string>(['localhost', COMPOSE_SERVICE_NAME, opts.bindHost.toLowerCase().replace(/^\[|\]$/g, '')]);
  const machine = (opts.machineName ?? os.hostname()).toLowerCase();
  if (machine) exact.add(machine);
  const suffixes = ['.localhost'];
  for (const h of configured) {
    if (h.startsWith('*.')) suffixes.push(h.slice(1));
    else exact.add(h);
  }
  return (header) => {
    const name = hostName(header);
    if (name === undefined) return true;
    if (exact.has(name) || net.isIP(name) !== 0) return true;
    return suffixes.some((s) => name.endsWith(s) && name.length > s.length);
  };
}

/** Answers 421 when the Host is not allowed; true when it did (the request is finished). */
export function refuseMisdirected(allowed: (header: string | undefined) => boolean, req: IncomingMessage, res: ServerResponse): boolean {
  if (allowed(req.headers.host)) return false;
  const shown = (hostName(req.headers.host) ?? '').slice(0, 100);
  sendError(
    res,
    421,
    'misdirected_request',
    `Host "${shown}" is not allowed (server.allowedHosts): add the name this exporter is reached by to server.allowedHosts (or RUNBOARD_ALLOWED_HOSTS)`,
    undefined,
    // Whatever body came with it is not read: the connection ends with this answer.
    { Connection: 'close' },
  );
  return true;
}
