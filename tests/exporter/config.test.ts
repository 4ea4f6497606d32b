import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../exporter/src/config';
import { tmpDir } from '../helpers/exporter-process';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('has documented defaults for every limit', () => {
    const c = parseConfig({});
    expect(c.port).toBe(9477);
    expect(c.host).toBe('127.0.0.1');
    expect(c.sampling).toEqual({ intervalSeconds: 1, retentionSeconds: 900, windowSeconds: 60 });
    expect(c.limits).toEqual({
      bodyBytes: 1048576,
      batchRecords: 10000,
      labelValues: 200,
      streamClients: 1000,
      streamClientsPerClient: 50,
      streamBufferBytes: 1048576,
      historyMaxPoints: 10000,
      liveSeries: 5000,
      concurrentRuns: 4,
      runQueue: 20,
      runOutputBytes: 1048576,
      requestsPerSecond: 1000,
    });
    expect(c.ledger).toEqual({ retentionDays: 90, maxRuns: 10000, maxCostRecords: 1000000, maxSizeBytes: 0 });
    expect(c.auth.readPublic).toBe(false);
    expect(c.prices['gpt-4o']).toEqual({ input: 2.5, output: 10 });
  });

  it.each([
    [{ port: 'x' }, 'port', /expected number, got string/],
    [{ port: 70000 }, 'port', /65535/],
    [{ bogus: 1 }, 'bogus', /unknown key/],
    [{ limits: { bodyBytes: 0 } }, 'limits.bodyBytes', /0|positive|>/],
    [{ limits: { nope: 1 } }, 'limits.nope', /unknown key/],
    [{ sampling: { intervalSeconds: 0.01 } }, 'sampling.intervalSeconds', /0.1/],
    [{ auth: { token: 'short' } }, 'auth.token', /16/],
    [{ auth: { readPublic: 'yes' } }, 'auth.readPublic', /expected boolean/],
    [{ prices: { m: { input: 1 } } }, 'prices.m.output', /required/],
    [{ system: { filesystems: [1] } }, 'system.filesystems.0', /expected string/],
    [{ sampling: { intervalSeconds: 10, windowSeconds: 5 } }, 'sampling.windowSeconds', /at least/],
  ])('rejects %j naming %s', (raw, key, reason) => {
    const err = configError(() => parseConfig(raw));
    expect(err.key).toBe(key);
    expect(err.message).toContain(`"${key}"`);
    expect(err.message).toMatch(reason);
  });

  it('layers file < env < flags', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'runboard.yaml');
    fs.writeFileSync(file, 'port: 1111\nhost: 0.0.0.0\nlimits:\n  batchRecords: 50\n');
    const c = loadConfig({ file, env: { RUNBOARD_PORT: '2222', RUNBOARD_DEMO: 'true' }, overrides: { port: 3333 } });
    expect(c.port).toBe(3333);
    expect(c.host).toBe('0.0.0.0');
    expect(c.demo).toBe(true);
    expect(c.limits.batchRecords).toBe(50);
    expect(loadConfig({ file, env: { RUNBOARD_PORT: '2222' } }).port).toBe(2222);
  });

  it('reads JSON files and explains unreadable or malformed ones', () => {
    const dir = tmpDir();
    const json = path.join(dir, 'c.json');
    fs.writeFileSync(json, '{"port": 1234}');
    expect(loadConfig({ file: json, env: {} }).port).toBe(1234);
    fs.writeFileSync(json, '{"port": ');
    expect(configError(() => loadConfig({ file: json, env: {} })).message).toMatch(/not valid JSON/);
    const yaml = path.join(dir, 'c.yaml');
    fs.writeFileSync(yaml, 'port: 1\nport: 2\n');
    expect(configError(() => loadConfig({ file: yaml, env: {} })).message).toMatch(/not valid YAML/);
    fs.writeFileSync(yaml, '- a\n- b\n');
    expect(configError(() => loadConfig({ file: yaml, env: {} })).message).toMatch(/mapping/);
    expect(configError(() => loadConfig({ file: path.join(dir, 'missing.yaml'), env: {} })).message).toBe(
      `cannot read the config file ${path.join(dir, 'missing.yaml')} (--config, RUNBOARD_CONFIG): no such file or directory`,
    );
  });

  it.each([
    ['RUNBOARD_PORT', 'abc', /not a number/],
    ['RUNBOARD_DEMO', 'maybe', /not a boolean/],
    ['RUNBOARD_INTERVAL', '0', /sampling.intervalSeconds/],
  ])('rejects env %s=%s', (name, value, reason) => {
    expect(configError(() => loadConfig({ env: { [name]: value } })).message).toMatch(reason);
  });
});
