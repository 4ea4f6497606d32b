import { parseProtocolLine } from '../../exporter/src/commands/protocol-lines';

describe('parseProtocolLine', () => {
  it.each([
    ['::progress 0 starting', { kind: 'progress', percent: 0, message: 'starting' }],
    ['::progress 42 half   way there ', { kind: 'progress', percent: 42, message: 'half   way there' }],
    ['::progress 12.5', { kind: 'progress', percent: 12.5, message: '' }],
    ['::progress 100 done\r', { kind: 'progress', percent: 100, message: 'done' }],
    ['::progress\t7\tx', { kind: 'progress', percent: 7, message: 'x' }],
  ])('reads %j', (line, expected) => {
    expect(parseProtocolLine(line)).toEqual(expected);
  });

  it('reads ::llm with required and optional fields', () => {
    expect(parseProtocolLine('::llm provider=openai model=gpt-4o-mini input_tokens=120 output_tokens=30')).toEqual({
      kind: 'llm',
      record: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 120, output_tokens: 30 },
    });
    expect(parseProtocolLine('::llm  model=m provider=p output_tokens=0 input_tokens=5 cost_usd=0.0125 duration_seconds=1.5 success=false')).toEqual({
      kind: 'llm',
      record: { provider: 'p', model: 'm', input_tokens: 5, output_tokens: 0, cost_usd: 0.0125, duration_seconds: 1.5, success: false },
    });
  });

  it.each([
    'plain output',
    ':: progress 5 x',
    '::progress',
    '::progress abc',
    '::progress -1 below',
    '::progress 101 above',
    '::progress 1e2 exponent',
    '::progress 0x10 hex',
    '::progress 5%',
    '::progressive 5 x',
    ' ::progress 5 leading space',
    '::llm',
    '::llmx provider=p model=m input_tokens=1 output_tokens=1',
    '::llm provider=p model=m input_tokens=1',
    '::llm provider=p model=m input_tokens=1.5 output_tokens=1',
    '::llm provider=p model=m input_tokens=-1 output_tokens=1',
    '::llm provider=p model=m input_tokens=1 output_tokens=1 cost_usd=abc',
    '::llm provider=p model=m input_tokens=1 output_tokens=1 cost_usd=-1',
    '::llm provider=p model=m input_tokens=1 output_tokens=1 color=blue',
    '::llm provider=p model=m input_tokens=1 output_tokens=1 run_id=other',
    '::llm provider=p model=m input_tokens=1 output_tokens=1 t=5',
    '::llm provider=p provider=q model=m input_tokens=1 output_tokens=1',
    '::llm provider= model=m input_tokens=1 output_tokens=1',
    '::llm provider=p model=m input_tokens=1 output_tokens=1 stray',
    '::llm provider=p model=m input_tokens=1 output_tokens=1 success=yes',
    '::llm provider=p model=m input_tokens=99999999999999999999 output_tokens=1',
    '::llm provider=p model=m input_tokens=1 output_tokens=1 duration_seconds=99999999999',
    '::other thing',
  ])('returns null for %j', (line) => {
    expect(parseProtocolLine(line)).toBeNull();
  });
});
