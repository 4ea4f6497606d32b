/**
 * Issue 13 item 9: the CLI sends the local token file only to this machine, decided by parsing the
 * URL's host as an address. `127.evil.example` is a name whoever runs that DNS zone resolves, so
 * it must not get the token however it starts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isLoopbackUrl, resolveConnection } from '../../exporter/src/cli/connection';
import { CLI, tmpDir } from '../helpers/exporter-process';

const TOKEN = 'local-token-from-the-data-dir-0123456789';

let xdg: string;

beforeAll(() => {
  xdg = tmpDir('runboard-cli-conn-');
  fs.mkdirSync(path.join(xdg, 'runboard'), { mode: 0o700 });
  fs.writeFileSync(path.join(xdg, 'runboard', 'api-token'), TOKEN + '\n', { mode: 0o600 });
});

const LOOPBACK = [
  'http://127.0.0.1:9477',
  'http://127.9.8.7:1',
  'http://localhost:9477',
  'http://LOCALHOST:1',
  'http://[::1]:9477',
  'http://[0:0:0:0:0:0:0:1]:1',
  'http://[::ffff:127.0.0.1]:1',
  'http://127.1:1',
  'https://127.0.0.1',
];
const REMOTE = [
  'http://127.evil.example:9477',
  'http://127.0.0.1.evil.example:9477',
  'http://127.0.0.1.nip.io:9477',
  'http://localhost.evil.example:1',
  'http://evil-localhost:1',
  'http://evil.example:9477',
  'http://10.0.0.1:9477',
  'http://0.0.0.0:9477',
  'http://[::]:1',
  'http://[::ffff:10.0.0.1]:1',
  'http://[::2]:1',
  'http://128.0.0.1:1',
];

describe('resolveConnection: the token file of the default data dir', () => {
  const saved = process.env.XDG_DATA_HOME;
  beforeAll(() => {
    process.env.XDG_DATA_HOME = xdg;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = saved;
  });

  it('is read for localhost and loopback addresses', () => {
    for (const url of LOOPBACK) {
      const c = resolveConnection({ url }, {});
      expect([url, c.tokenSource, c.token]).toEqual([url, 'file', TOKEN]);
      expect(isLoopbackUrl(url)).toBe(true);
    }
  });

  it('is never read for anything else, names that start like a loopback address included', () => {
    for (const url of REMOTE) {
      const c = resolveConnection({ url }, {});
      expect([url, c.tokenSource, c.token]).toEqual([url, 'none', undefined]);
      expect(isLoopbackUrl(url)).toBe(false);
    }
    // An explicit data dir is the user saying which token to send, to any host.
    expect(resolveConnection({ url: 'http://127.evil.example:1', dataDir: path.join(xdg, 'runboard') }, {}).tokenSource).toBe('file');
  });
});

describe('the CLI, by what a server receives', () => {
  let server: http.Server;
  let port: number;
  const seen: Array<{ host: string | undefined; authorization: string | undefined }> = [];
  let preload: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ host: req.headers.host, authorization: req.headers.authorization });
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthorized', message: 'recorded' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    // Stands in for the attacker's DNS: their name resolves to an address they receive on (here ours).
    preload = path.join(tmpDir('runboard-cli-dns-'), 'resolve.js');
    fs.writeFileSync(
      preload,
      `const dns = require('node:dns');\nconst lookup = dns.lookup;\ndns.lookup = function (host, ...rest) { return lookup.call(this, host === '127.evil.example' ? '127.0.0.1' : host, ...rest); };\n`,
    );
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  function runCli(url: string): Promise<number | null> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: xdg };
    for (const k of Object.keys(env)) if (k.startsWith('RUNBOARD_')) delete env[k];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-r', preload, CLI, 'query', 'series', '--url', url, '--timeout', '5'], { env, stdio: 'ignore' });
      child.once('error', reject);
      child.once('close', resolve);
    });
  }

  it('sends the local token to 127.0.0.1 but not to 127.evil.example, though both reach the same server', async () => {
    expect(await runCli(`http://127.0.0.1:${port}`)).toBe(4);
    expect(await runCli(`http://127.evil.example:${port}`)).toBe(4);
    expect(seen).toEqual([
      { host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}` },
      { host: `127.evil.example:${port}`, authorization: undefined },
    ]);
  });
});
