/**
 * `npm start` (README "Quick start") under a supervisor: a SIGTERM sent to npm must stop the
 * exporter, not leave it listening behind a shell that died.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../helpers/exporter-process';

const ROOT = path.resolve(__dirname, '../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('SIGTERM to npm start stops the exporter and closes its port', async () => {
  const dataDir = tmpDir();
  // npm's own binary, as a supervisor (systemd, a container runtime) would start it.
  const npm = spawn('npm', ['start', '--', '--port', '0', '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  npm.stdout!.on('data', (d) => (out += d));
  npm.stderr!.on('data', (d) => (err += d));
  const npmExit = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  let exporterPid: number | undefined;
  try {
    // npm start builds first: allow for tsc.
    await waitFor(`the banner (stdout: ${out}; stderr: ${err})`, () => /listening on http:\/\/\S+/.test(out) || npm.exitCode !== null, 90000);
    const url = /listening on (http:\/\/\S+)/.exec(out)![1];
    exporterPid = Number(fs.readFileSync(path.join(dataDir, 'runboard.pid'), 'utf8').trim());
    expect(exporterPid).not.toBe(npm.pid);
    // The runtime flags README "Performance" documents reach the exporter's own process.
    const argv = fs.readFileSync(`/proc/${exporterPid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--v8-pool-size=1');
    expect(argv).toContain('--expose-gc');
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);

    npm.kill('SIGTERM');
    await npmExit;
    const pid = exporterPid;
    await waitFor('the exporter to exit', () => !alive(pid), 10000);
    await expect(fetch(`${url}/api/v1/health`)).rejects.toThrow();
  } finally {
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    // Before the fix the exporter outlived npm: never leave one behind.
    if (exporterPid !== undefined && alive(exporterPid)) process.kill(exporterPid, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 120000);
