/**
 * The HTTP listener: timeouts against slow clients, JSON answers to requests Node's parser
 * refuses, friendly listen errors, and a two-phase stop (stop accepting, then drain). What a
 * request means is the request listener's business (app.ts).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log';
import { errorBody } from './errors';

/** How long a client has to send its headers and body (README "Reliability": slow-loris bound). */
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** At stop, requests in progress get this long to finish; then the rest are cut. */
const STOP_GRACE_MS = 2_000;

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'request headers are too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'body_too_large', 'chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request was not complete in time'],
};

export class HttpServer {
  private readonly server: http.Server;
  /** Per socket, the responses not yet closed: a parse error then must not write into one. */
  private readonly responses = new WeakMap<Duplex, Set<ServerResponse>>();
  /** Sockets already answered: Node reports the parse error again for every later chunk. */
  private readonly answered = new WeakSet<Duplex>();
  private closed?: Promise<void>;

  constructor(
    listener: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly log: Logger,
  ) {
    // The app itself refuses an HTTP/1.1 request without Host (RFC 9112), with a JSON body.
    const server = http.createServer({ requireHostHeader: false }, (req, res) => {
      this.track(req.socket, res);
      listener(req, res);
    });
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    // Requests Node's parser refuses (bad framing, headers too large, too slow) get the API's
    // JSON error body too, not a bare status line.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => this.answerClientError(err, socket));
    this.server = server;
  }

  /** Listens; rejects with one line naming the address and, for a busy port, the settings. */
  listen(host: string, port: number): Promise<void> {
    const server = this.server;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        const where = `${host}:${port}`;
        if (err.code === 'EADDRINUSE') reject(new Error(`port ${port} is already in use on ${host} (set --port or RUNBOARD_PORT)`));
        else if (err.code === 'EACCES') reject(new Error(`no permission to listen on ${where}`));
        else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new Error(`cannot listen on ${where}: address not available`));
        else reject(new Error(`cannot listen on ${where}: ${err.message}`));
      };
      const onListening = () => {
        server.off('error', onError);
        server.on('error', (err) => this.log.error(`server error: ${err.message}`));
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
  }

  /** The URL clients reach the server at (a wildcard bind reads as loopback); undefined until listening. */
  get url(): string | undefined {
    const addr = this.server.address() as AddressInfo | null;
    if (!addr) return undefined;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${addr.port}`;
  }

  /** Stops accepting connections; open ones carry on until close(). */
  stopAccepting(): void {
    this.closed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Closes idle connections, gives requests in progress a moment, then cuts the rest. */
  async close(): Promise<void> {
    this.stopAccepting();
    this.server.closeIdleConnections();
    const grace = setTimeout(() => this.server.closeAllConnections(), STOP_GRACE_MS);
    await this.closed;
    clearTimeout(grace);
  }

  private track(socket: Socket, res: ServerResponse): void {
    let open = this.responses.get(socket);
    if (!open) this.responses.set(socket, (open = new Set()));
    open.add(res);
    res.once('close', () => open.delete(res));
  }

  /**
   * Node's own answer to a malformed request (see http's clientError), with a JSON body. The rest
   * of what the client sends is read and dropped until it closes (at most 5 s): closing with unread
   * bytes would reset the connection and could destroy the answer before the client reads it.
   * A socket already sending a response is only closed: bytes written now would corrupt it.
   */
  private answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (this.answered.has(socket)) return;
    this.answered.add(socket);
    const inResponse = [...(this.responses.get(socket) ?? [])].some((res) => res.headersSent);
    if (err.code === 'ECONNRESET' || !socket.writable || inResponse) {
      socket.destroy();
      return;
    }
    const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad_request', 'malformed HTTP request'];
    const body = errorBody(code, message);
    // A client that never closes its side is cut after a few seconds.
    setTimeout(() => socket.destroy(), 5000).unref();
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
}
