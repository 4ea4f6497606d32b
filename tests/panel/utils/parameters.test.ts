/**
 * The form's checks against the exporter's own: every case is run through both, so the browser
 * says exactly what the server would (and refuses exactly what it would).
 */
import { checkValue as serverCheck, resolveParameters } from '../../../exporter/src/commands/parameters';
import type { ParameterSpec } from '../../../exporter/src/config';
import type { CommandInfo, ParameterInfo, ParameterValue } from '@runboard/protocol';
import { checkParameterValue, fullMatch, initialFormValues, parameterHint, resolveFormValues, serverFieldError } from '../../../panel-plugin/src/utils/parameters';

const text: ParameterInfo = { type: 'string', help: '', maxLength: 5 };
const ticket: ParameterInfo = { type: 'string', help: '', maxLength: 16, pattern: '[A-Z]+-\\d+' };
const alternatives: ParameterInfo = { type: 'string', help: '', maxLength: 16, pattern: 'a|b' };
const steps: ParameterInfo = { type: 'integer', help: '', min: 1, max: 5 };
const mode: ParameterInfo = { type: 'enum', help: '', values: ['fast', 'slow'] };
const flag: ParameterInfo = { type: 'boolean', help: '' };
const anyCount: ParameterInfo = { type: 'integer', help: '' };
const offset: ParameterInfo = { type: 'integer', help: '', min: -10 };
// Whether a path stays inside its root is for the server alone; the form checks what it can see.
const dir: ParameterInfo = { type: 'path', help: '', root: '/', maxLength: 5 };

const cases: Array<[ParameterInfo, ParameterValue]> = [
  [text, 'hello'],
  [text, 'hello!'],
  [text, '😀😀😀😀😀'], // 5 code points, 10 UTF-16 units: allowed
  [text, 'a\u0000b'],
  [text, 3],
  [ticket, 'ABC-12'],
  [ticket, 'x ABC-12'],
  [ticket, 'ABC-12 x'],
  [alternatives, 'a'],
  [alternatives, 'ab'], // `a|b` must not turn into "starts with a or ends with b"
  [steps, 3],
  [steps, 0],
  [steps, 6],
  [steps, 2.5],
  [steps, '3'],
  [mode, 'fast'],
  [mode, 'medium'],
  [mode, true],
  [flag, false],
  [flag, 'true'],
  // README "Parameter rules": a leading "-" only where the parameter opts in; no negative integer without min.
  [text, '-x'],
  [text, 'a-b'],
  [{ ...text, allowLeadingDash: true }, '-x'],
  [anyCount, -5],
  [anyCount, 0],
  [offset, -5],
  [offset, -11],
  [dir, 'logs'],
  [dir, 'a\u0000b'],
];

describe('client validation mirrors the exporter', () => {
  test.each(cases)('%j with %j', (p, v) => {
    expect(checkParameterValue(p, v)).toBe(serverCheck(p as ParameterSpec, v));
  });

  test('a whole form resolves like the server resolves it', () => {
    const command = commandWith({ text: { ...text, default: 'hi' }, steps: { ...steps, default: 2 }, mode, flag });
    const values = { ...initialFormValues(command), mode: 'slow' };
    const { parameters, errors } = resolveFormValues(command, values);
    expect(errors).toEqual({});
    expect(resolveParameters(command as never, parameters)).toEqual({ text: 'hi', steps: 2, mode: 'slow', flag: false });
  });
});

describe('form values', () => {
  const command = commandWith({ topic: { ...text, default: 'q' }, ticket, steps: { ...steps, default: 3 }, mode: { ...mode, default: 'fast' }, flag: { ...flag, default: true } });

  test('defaults fill the form; integers as text, booleans as switches', () => {
    expect(initialFormValues(command)).toEqual({ topic: 'q', ticket: '', steps: '3', mode: 'fast', flag: true });
  });

  test('values from a template or an earlier run win over defaults', () => {
    expect(initialFormValues(command, { ticket: 'AB-1', steps: 5, flag: false })).toEqual({ topic: 'q', ticket: 'AB-1', steps: '5', mode: 'fast', flag: false });
  });

  test('every problem is reported at once, in the server’s words', () => {
    const { errors, parameters } = resolveFormValues(command, { topic: 'too long', ticket: 'nope', steps: '9', mode: 'fast', flag: true });
    expect(errors).toEqual({
      topic: 'must be at most 5 characters (got 8)',
      ticket: 'must match the pattern [A-Z]+-\\d+',
      steps: 'must be at most 5',
    });
    expect(parameters).toEqual({ mode: 'fast', flag: true });
  });

  test('an empty box is "not given": the default applies, or the parameter is required', () => {
    const { errors, parameters } = resolveFormValues(command, { topic: '', ticket: '', steps: '', mode: '', flag: false });
    expect(errors).toEqual({ ticket: 'is required' });
    expect(parameters).toEqual({ flag: false });
  });

  test('integer boxes accept a sign and digits only', () => {
    expect(resolveFormValues(command, { ...initialFormValues(command), ticket: 'A-1', steps: '2.5' }).errors).toEqual({ steps: 'expected an integer, got "2.5"' });
    expect(resolveFormValues(command, { ...initialFormValues(command), ticket: 'A-1', steps: ' +4 ' }).parameters.steps).toBe(4);
  });

  test('NUL characters are refused', () => {
    expect(resolveFormValues(command, { ...initialFormValues(command), ticket: 'A-1\u0000' }).errors.ticket).toBe('must not contain NUL characters');
  });

  test('hints say the constraints in words', () => {
    expect(parameterHint(ticket)).toBe('up to 16 characters, matching [A-Z]+-\\d+');
    expect(parameterHint(steps)).toBe('a whole number from 1 to 5');
    expect(parameterHint({ type: 'integer', help: '', min: 0 })).toBe('a whole number, at least 0');
    expect(parameterHint(mode)).toBeUndefined();
  });

  test('a pattern the browser cannot compile is left to the server', () => {
    expect(fullMatch('(')).toBeNull();
    expect(checkParameterValue({ type: 'string', help: '', maxLength: 9, pattern: '(' }, 'x')).toBeUndefined();
  });
});

describe('server errors land on their field', () => {
  const command = commandWith({ steps });
  test('parameters.<name> → that field, without the prefix', () => {
    expect(serverFieldError(command, 'parameters.steps', 'parameters.steps: must be at most 5')).toEqual({ name: 'steps', reason: 'must be at most 5' });
  });
  test('other fields (or unknown parameters) are not a form field', () => {
    expect(serverFieldError(command, 'parameters.nope', 'parameters.nope: unknown parameter')).toBeUndefined();
    expect(serverFieldError(command, 'body', 'body is not valid JSON')).toBeUndefined();
    expect(serverFieldError(command, undefined, 'queue is full')).toBeUndefined();
  });
});

function commandWith(parameters: Record<string, ParameterInfo>): CommandInfo {
  return { id: 'c', title: 'C', description: '', parameters, timeoutSeconds: 10, maxConcurrent: 1, confirm: false };
}
