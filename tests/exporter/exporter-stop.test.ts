/**
 * The in-process exporter (the SDK's `Exporter`) after stop(): a manual tick() does nothing, so it
 * reopens none of the /proc files the system collector keeps open while running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exporter } from '../../exporter/src/exporter';
import { silentLogger } from '../../exporter/src/log';

/**
 * Descriptors of this process open on files under /proc. Jest runs other test files in the same
 * worker process before this one, and one may have left a collector's descriptors open: the test
 * counts against what was open before its exporter started.
 */
function procDescriptors(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('/proc/')) n++;
    } catch {
      // Closed between the listing and the read (the listing's own descriptor).
    }
  }
  return n;
}

const linux = process.platform === 'linux';

(linux ? it : it.skip)('reopens no /proc descriptor on tick() after stop()', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-stop-'));
  const before = procDescriptors();
  const exp = await Exporter.start({ port: 0, dataDir, auth: { token: 'exporter-stop-token-0123456789' } }, { log: silentLogger });
  try {
    await exp.tick();
    // Running, the system collector reads /proc through descriptors it keeps.
    expect(procDescriptors()).toBeGreaterThan(before);
    await exp.stop();
    expect(procDescriptors()).toBe(before);
    await exp.tick();
    expect(procDescriptors()).toBe(before);
  } finally {
    await exp.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
