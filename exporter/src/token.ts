import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type TokenSource = 'config' | 'file' | 'generated';

export const TOKEN_FILE = 'api-token';

/**
 * The API token: the configured one, else the one kept in the data dir, else a new random one
 * written there (mode 0600) so it stays the same across restarts.
 */
export function resolveToken(configured: string | undefined, dataDir: string): { token: string; source: TokenSource; file?: string } {
  if (configured) return { token: configured, source: 'config' };
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, source: 'file', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read API token file ${file}: ${(err as Error).message}`);
  }
  const token = crypto.randomBytes(24).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, source: 'generated', file };
}

/** For clients on the same machine (CLI): the token kept in a data dir, if any. */
export function readTokenFile(dataDir: string): string | undefined {
  try {
    const t = fs.readFileSync(path.join(dataDir, TOKEN_FILE), 'utf8').trim();
    return t.length > 0 ? t : undefined;
  } catch {
    return undefined;
  }
}
