import { commandSchema, type CommandSpec } from '../../exporter/src/config';
import { parseTemplateEntry, renderArgv, TemplateError } from '../../exporter/src/commands/argv';

function spec(args: string[]): CommandSpec {
  return commandSchema.parse({ id: 'demo', title: 'Demo', executable: '/bin/true', args });
}

describe('renderArgv', () => {
  it('puts each value inside its own entry, however it looks', () => {
    const nasty = 'a b "c" \'d\' $(touch /tmp/x) `id` ; rm -rf / && x | y > z\nnext ../../etc --flag * ~';
    const argv = renderArgv(spec(['--name={v}', '{v}', 'pre-{v}-post', 'plain']), { v: nasty });
    expect(argv).toEqual([`--name=${nasty}`, nasty, `pre-${nasty}-post`, 'plain']);
  });

  it('renders numbers and booleans as text and leaves values unparsed', () => {
    expect(renderArgv(spec(['{n}', '{b}', '{s}']), { n: -3, b: false, s: '{n}' })).toEqual(['-3', 'false', '{n}']);
  });

  it('keeps an empty value as an empty argument rather than dropping it', () => {
    expect(renderArgv(spec(['{s}', 'x']), { s: '' })).toEqual(['', 'x']);
  });

  it('turns {name?text} into text when true and into nothing when false', () => {
    const s = spec(['a', '{v?--verbose}', '{q?--quiet=yes}', 'b']);
    expect(renderArgv(s, { v: true, q: false })).toEqual(['a', '--verbose', 'b']);
    expect(renderArgv(s, { v: false, q: true })).toEqual(['a', '--quiet=yes', 'b']);
  });

  it('unescapes {{ and }}', () => {
    expect(renderArgv(spec(['{{x}}', 'a{{b}}c{v}', '{f?{{on}}}']), { v: 'V', f: true })).toEqual(['{x}', 'a{b}cV', '{on}']);
  });

  it('throws for a value that is not there (a config bug, not a client error)', () => {
    expect(() => renderArgv(spec(['{missing}']), {})).toThrow(/no value for parameter "missing"/);
    expect(() => renderArgv(spec(['{f?x}']), { f: 'true' })).toThrow(/needs a boolean/);
  });
});

describe('parseTemplateEntry', () => {
  it('parses parts and conditionals', () => {
    expect(parseTemplateEntry('--a={x}.txt')).toEqual({
      kind: 'parts',
      parts: [
        { kind: 'text', text: '--a=' },
        { kind: 'param', name: 'x' },
        { kind: 'text', text: '.txt' },
      ],
    });
    expect(parseTemplateEntry('{f?-v}')).toEqual({ kind: 'conditional', name: 'f', text: '-v' });
    expect(parseTemplateEntry('')).toEqual({ kind: 'parts', parts: [{ kind: 'text', text: '' }] });
  });

  it.each(['{', '}', '{x', 'x}', '{ x }', '{x-y}', '{}', 'a{f?b}', '{f?b}c', '{f?a}b}', '{-?x}'])('refuses %j', (entry) => {
    expect(() => parseTemplateEntry(entry)).toThrow(TemplateError);
  });
});
