import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR_SETTING, startError, TOKEN_FILE } from './store/data-dir';

export { TOKEN_FILE };

export type TokenSource = 'config' | 'file' | 'generated';

/** The settings behind the token file, for its start-up errors. */
const TOKEN_SETTING = `${DATA_DIR_SETTING}; or set auth.token / RUNBOARD_API_TOKEN`;

/**
 * The API token: the configured one, else the one kept in the data dir, else a new random one
 * written there (mode 0600) so it stays the same across restarts. The data dir must exist and be
 * claimed (DataDirLock.claim), so two exporters never race to generate it.
 */
export function resolveToken(configured: string | undefined, dataDir: string): { token: string; source: TokenSource; file?: string } {
  if (configured) return { token: configured, source: 'config' };
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, source: 'file', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw startError('cannot read the API token file', file, err, TOKEN_SETTING);
  }
  const token = crypto.randomBytes(24).toString('base64url');
  try {
    fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  } catch (err) {
    throw startError('cannot write the API token file', file, err, TOKEN_SETTING);
  }
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
