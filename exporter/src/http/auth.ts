import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors';

const digest = (s: string) => crypto.createHash('sha256').update(s).digest();

/**
 * Bearer-token check. Both sides are hashed first so the comparison is constant-time whatever
 * the lengths, and the token never appears in a log line or an error.
 */
export function tokenChecker(token: string) {
  const expected = digest(token);
  return (header: string | undefined): boolean => {
    if (!header) return false;
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match) return false;
    return crypto.timingSafeEqual(digest(match[1]), expected);
  };
}

export function requireToken(check: (header: string | undefined) => boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (check(req.headers.authorization)) return next();
    sendUnauthorized(res, req.headers.authorization);
  };
}

/** The 401 every route sends for a missing or wrong token (`authorization`: what the request sent). */
export function sendUnauthorized(res: ServerResponse, authorization: string | undefined): void {
  const message = authorization ? 'invalid API token' : 'missing API token: send "Authorization: Bearer <token>"';
  sendError(res, 401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="runboard"' });
}

export function allowAll(_req: Request, _res: Response, next: NextFunction): void {
  next();
}
