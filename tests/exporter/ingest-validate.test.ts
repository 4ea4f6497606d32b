import { IngestError, validateIngestBody } from '../../exporter/src/ingest/validate';

const action = { kind: 'action', name: 'deploy', duration_seconds: 1.5, success: true };
const llm = { kind: 'llm', provider: 'openai', model: 'gpt-4o', input_tokens: 10, output_tokens: 5 };

function rejection(body: unknown, max = 100): IngestError {
  try {
    validateIngestBody(body, max);
  } catch (err) {
    if (err instanceof IngestError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('validateIngestBody', () => {
  it('accepts one record, an array, or {records}', () => {
    expect(validateIngestBody(action, 10)).toHaveLength(1);
    expect(validateIngestBody([action, llm], 10)).toHaveLength(2);
    expect(validateIngestBody({ records: [action, llm, { kind: 'state', action_queue_depth: 3 }] }, 10)).toHaveLength(3);
  });

  it.each([
    [[action, { ...action, name: '' }], 'records[1].name', /empty/],
    [[action, { ...llm, input_tokens: 1.5 }], 'records[1].input_tokens', /int/],
    [[{ ...llm, input_tokens: -1 }], 'records[0].input_tokens', />=0/],
    [[{ ...action, duration_seconds: '3' }], 'records[0].duration_seconds', /expected number, got string/],
    [[{ ...action, extra: 1 }], 'records[0].extra', /unknown field/],
    [[{ kind: 'nope' }], 'records[0].kind', /kind must be one of/],
    [[5], 'records[0]', /expected/],
    [{ ...action, success: 'yes' }, 'success', /expected boolean/],
    [{ kind: 'llm', provider: 'p' }, 'model', /required/],
    [{ kind: 'event', type: 'x', outcome: 'done' }, 'outcome', /queued|processed|failed|Invalid/],
    [{ ...action, name: 'a\u0000b' }, 'name', /control characters/],
    [{ records: 'x' }, 'records', /expected array/],
    [{ records: [], more: 1 }, 'more', /unknown key/],
    [null, 'body', /expected a record/],
    ['text', 'body', /expected a record/],
  ])('rejects %j naming %s', (body, field, reason) => {
    const err = rejection(body);
    expect(err.field).toBe(field);
    expect(err.reason).toMatch(reason);
  });

  it('rejects a batch over the record limit as a whole', () => {
    const err = rejection(new Array(11).fill(action), 10);
    expect(err.code).toBe('too_many_records');
    expect(err.reason).toMatch(/limits.batchRecords/);
  });
});
