/**
 * Who a request comes from, for per-client limits (README "Streams and client limits").
 * Behind Grafana every user shares Grafana's address, so the signed-in user is the client:
 * Grafana's data proxy sets X-Grafana-User with `send_user_header` and removes one the browser
 * sent. Without the header the client is the remote address.
 */
import type { IncomingMessage } from 'node:http';

/**
 * `user:<login>` when X-Grafana-User is present on a request that carries the API token (as
 * Grafana's proxy adds it), else `addr:<remote address>`. Without the token (`auth.readPublic`)
 * anyone could send a new login per request and so a new allowance: the address decides.
 */
export function clientIdentity(req: IncomingMessage, hasToken: (authorization: string | undefined) => boolean): string {
  const user = req.headers['x-grafana-user'];
  if (typeof user === 'string' && user !== '' && hasToken(req.headers.authorization)) return `user:${user}`;
  let addr = req.socket.remoteAddress ?? '';
  // An IPv4 client of a dual-stack listener is the same client as on an IPv4 listener.
  if (addr.startsWith('::ffff:') && addr.includes('.')) addr = addr.slice(7);
  return `addr:${addr}`;
}
