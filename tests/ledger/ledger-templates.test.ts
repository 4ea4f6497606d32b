import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger, TemplateConflictError } from '../../exporter/src/store/ledger';

const OPTS = { retentionDays: 0, maxRuns: 10_000, maxCostRecords: 1_000_000 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Ledger templates', () => {
  let file: string;
  let ledger: Ledger;
  beforeEach(() => {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-ledger-')), 'ledger.db');
    ledger = Ledger.open(file, OPTS);
  });
  afterEach(() => ledger.close());

  it('creates, reads, lists, updates and deletes, and survives a reopen', () => {
    const a = ledger.putTemplate({ command: 'deploy', name: 'prod', parameters: { target: 'prod', replicas: 3, dry: false } });
    expect(a).toEqual({
      id: expect.stringMatching(UUID),
      command: 'deploy',
      name: 'prod',
      parameters: { target: 'prod', replicas: 3, dry: false },
      createdAt: expect.any(Number),
      updatedAt: a.createdAt,
    });
    const b = ledger.putTemplate({ command: 'deploy', name: 'canary', parameters: { target: 'canary' } });
    const c = ledger.putTemplate({ command: 'backup', name: 'nightly', parameters: {} });
    expect(ledger.getTemplate(a.id)).toEqual(a);
    expect(ledger.listTemplates().map((t) => t.id)).toEqual([c.id, b.id, a.id]); // by command, then name
    expect(ledger.listTemplates('deploy').map((t) => t.name)).toEqual(['canary', 'prod']);
    expect(ledger.listTemplates('nothing')).toEqual([]);

    // update by id: name and parameters change, id and createdAt stay
    const a2 = ledger.putTemplate({ id: a.id, command: 'deploy', name: 'production', parameters: { target: 'prod', replicas: 5 } });
    expect(a2).toEqual({ ...a, name: 'production', parameters: { target: 'prod', replicas: 5 }, updatedAt: expect.any(Number) });
    expect(a2.updatedAt).toBeGreaterThanOrEqual(a.createdAt);
    expect(ledger.getTemplate(a.id)).toEqual(a2);

    // PUT to an id that does not exist yet creates it under that id
    const d = ledger.putTemplate({ id: 'my-own-id', command: 'backup', name: 'weekly', parameters: { full: true } });
    expect(d.id).toBe('my-own-id');
    expect(ledger.getTemplate('my-own-id')).toEqual(d);

    expect(ledger.deleteTemplate(b.id)).toBe(true);
    expect(ledger.deleteTemplate(b.id)).toBe(false);
    expect(ledger.getTemplate(b.id)).toBeUndefined();

    ledger.close();
    ledger = Ledger.open(file, OPTS);
    expect(ledger.listTemplates()).toEqual([d, c, a2].sort((x, y) => (x.command + x.name < y.command + y.name ? -1 : 1)));
  });

  it('keeps (command, name) unique: a second put with the same pair updates the first', () => {
    const first = ledger.putTemplate({ command: 'deploy', name: 'prod', parameters: { replicas: 1 } });
    const second = ledger.putTemplate({ command: 'deploy', name: 'prod', parameters: { replicas: 2 } });
    expect(second.id).toBe(first.id);
    expect(second.createdAt).toBe(first.createdAt);
    expect(ledger.listTemplates()).toEqual([second]);
    expect(ledger.getTemplate(first.id)!.parameters).toEqual({ replicas: 2 });

    // the same name under another command is another template
    const other = ledger.putTemplate({ command: 'backup', name: 'prod', parameters: {} });
    expect(other.id).not.toBe(first.id);
    expect(ledger.listTemplates()).toHaveLength(2);

    // renaming one onto another's (command, name) is a conflict and changes nothing
    const canary = ledger.putTemplate({ command: 'deploy', name: 'canary', parameters: {} });
    expect(() => ledger.putTemplate({ id: canary.id, command: 'deploy', name: 'prod', parameters: {} })).toThrow(TemplateConflictError);
    expect(() => ledger.putTemplate({ id: 'fresh', command: 'deploy', name: 'prod', parameters: {} })).toThrow(/already has a template named "prod"/);
    expect(ledger.getTemplate(canary.id)!.name).toBe('canary');
    expect(ledger.getTemplate('fresh')).toBeUndefined();
  });
});
