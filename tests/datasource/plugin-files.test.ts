/**
 * What Grafana's plugin validator reads besides the code, for both plugins: the screenshots
 * plugin.json lists (each one in src/img and, once built, in dist/img where webpack copies it),
 * and the LICENSE copied into dist, which must be the standard Apache-2.0 text (with its
 * appendix) for the validator to recognise it. The root `npm test` builds the plugins first.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const LICENSE = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');

describe.each(['datasource-plugin', 'panel-plugin'])('%s', (plugin) => {
  const dir = path.join(ROOT, plugin);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'src/plugin.json'), 'utf8')) as { info: { screenshots: Array<{ name: string; path: string }> } };
  const shots = json.info.screenshots;
  const built = fs.existsSync(path.join(dir, 'dist/plugin.json'));

  test('plugin.json lists named PNG screenshots that are committed in src/img', () => {
    expect(shots.length).toBeGreaterThan(0);
    for (const shot of shots) {
      expect(shot.name.trim()).not.toBe('');
      expect(shot.path).toMatch(/^img\/[\w-]+\.png$/);
      const file = path.join(dir, 'src', shot.path);
      expect(fs.existsSync(file)).toBe(true);
      // A PNG, not a placeholder or a Git LFS pointer.
      expect(fs.readFileSync(file).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    }
  });

  (built ? test : test.skip)('the built dist has every listed screenshot and the standard Apache-2.0 LICENSE', () => {
    const distJson = JSON.parse(fs.readFileSync(path.join(dir, 'dist/plugin.json'), 'utf8')) as typeof json;
    expect(distJson.info.screenshots).toEqual(shots);
    for (const shot of shots) expect(fs.existsSync(path.join(dir, 'dist', shot.path))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'dist/LICENSE'), 'utf8')).toBe(LICENSE);
  });
});

test('LICENSE is the Apache-2.0 text as apache.org publishes it, appendix included', () => {
  expect(LICENSE.startsWith('\n                                 Apache License\n                           Version 2.0, January 2004\n')).toBe(true);
  expect(LICENSE).toContain('END OF TERMS AND CONDITIONS');
  expect(LICENSE).toContain('APPENDIX: How to apply the Apache License to your work.');
  expect(LICENSE).toContain('Licensed under the Apache License, Version 2.0 (the "License");');
  // The canonical file is 202 lines; the reflowed copy Grafana's validator did not recognise was 55.
  expect(LICENSE.split('\n').length).toBe(203);
});
