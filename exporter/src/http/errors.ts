import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from '@runboard/protocol';
import { LedgerWriteError } from '../store/ledger';

/** A refused ledger write is retried after this: a full disk is not freed in milliseconds. */
export const LEDGER_RETRY_AFTER_SECONDS = 5;

/** An error with an HTTP status that the error handler turns into the API's error body (README "HTTP API"). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function badRequest(field: string, reason: string): HttpError {
  return new HttpError(400, 'invalid_request', `${field}: ${reason}`, field);
}

/** The API's error body (README "HTTP API"): `{ error: { code, message, field? } }`. */
export function errorBody(code: string, message: string, field?: string): string {
  const body: ApiError = { error: { code, message, ...(field !== undefined ? { field } : {}) } };
  return JSON.stringify(body);
}

/**
 * Answers with the API's error body. Takes a plain node:http response, so what answers before
 * Express (the stream fast path, the Host check) and Express's routes (whose Response is one)
 * write errors alike; headers set earlier with setHeader (Retry-After, Connection) are kept.
 */
export function sendError(res: ServerResponse, status: number, code: string, message: string, field?: string, headers: Record<string, string> = {}): void {
  const text = errorBody(code, message, field);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * sendError for a request whose body is not read (refused before it): the body is dropped as it
 * arrives, so the client sees the answer, not a reset. The recording proxy and the rate limiter.
 */
export function sendErrorUnread(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, field?: string, headers?: Record<string, string>): void {
  req.resume();
  sendError(res, status, code, message, field, headers);
}

/** The error code a body-parser failure is answered with (see errorHandler). */
export function bodyErrorCode(err: unknown): string {
  switch ((err as { type?: string }).type) {
    case 'entity.too.large':
      return 'body_too_large';
    case 'entity.parse.failed':
      return 'invalid_json';
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return 'unsupported_encoding';
    case 'request.aborted':
      return 'request_aborted';
    case 'request.size.invalid':
      return 'invalid_length';
    default:
      return 'bad_request';
  }
}

/** Maps body-parser and route errors to JSON; anything unexpected is a logged 500, never a crash. */
export function errorHandler(onUnexpected: (err: unknown) => void) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message, err.field);
    // Full disk, read-only file: retryable, already logged once per burst by the ledger's owner.
    if (err instanceof LedgerWriteError) {
      res.setHeader('Retry-After', String(LEDGER_RETRY_AFTER_SECONDS));
      return sendError(res, 503, err.code, err.message);
    }
    const e = err as { type?: string; status?: number; message?: string; limit?: number };
    switch (e.type) {
      case 'entity.too.large':
        return sendError(res, 413, 'body_too_large', `request body is larger than the limit of ${e.limit} bytes (limits.bodyBytes)`);
      case 'entity.parse.failed':
        return sendError(res, 400, 'invalid_json', `body is not valid JSON: ${e.message}`, 'body');
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendError(res, 415, 'unsupported_encoding', e.message ?? 'unsupported encoding');
      case 'request.aborted':
        return sendError(res, 400, 'request_aborted', 'request body was cut short');
      case 'request.size.invalid':
        return sendError(res, 400, 'invalid_length', 'request body length does not match Content-Length');
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendError(res, e.status, 'bad_request', e.message ?? 'bad request');
    }
    onUnexpected(err);
    sendError(res, 500, 'internal', 'internal error');
  };
}
