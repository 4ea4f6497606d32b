/**
 * Who a request comes from, for per-client limits (README "Streams and client limits").
 * Behind Grafana every user shares Grafana's address, so the signed-in user is the client:
 * Grafana's data proxy sets X-Grafana-User with `send_user_header` and removes one the browser
 * sent. Without the header the client is the remote address.
 */
import type { IncomingMessage } from 'node:http';

/** `user:<login>` when X-Grafana-User is present, else `addr:<remote address>`. */
export function clientIdentity(req: IncomingMessage): string {
  const user = req.headers['x-grafana-user'];
  if (typeof user === 'string' && user !== '') return `user:${user}`;
  let addr = req.socket.remoteAddress ?? '';
  // An IPv4 client of a dual-stack listener is the same client as on an IPv4 listener.
  if (addr.startsWith('::ffff:') && addr.includes('.')) addr = addr.slice(7);
  return `addr:${addr}`;
}
