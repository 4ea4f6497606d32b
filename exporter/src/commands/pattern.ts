/**
 * Admin parameter patterns run on RE2 (re2js, a pure-JS port): matching time is linear in the
 * value's length whatever the pattern, so a pattern such as `([a-z]+)+$` cannot hold the event
 * loop the way a backtracking JavaScript RegExp does (README "Parameter rules"). The price is
 * RE2's syntax: no backreferences and no lookaround, refused when the config loads. re2js is
 * loaded when the first pattern is compiled: a config that declares none does not keep it resident.
 */
import type { RE2JS } from 're2js';

const cache = new Map<string, RE2JS>();

let re2: typeof RE2JS | undefined;
function engine(): typeof RE2JS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (re2 ??= (require('re2js') as typeof import('re2js')).RE2JS);
}

/** Why `pattern` cannot be compiled, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  try {
    // The bare pattern first: `a)|(b` only compiles once wrapped, and must not pass for that.
    engine().compile(pattern);
    compilePattern(pattern);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The compiled pattern; it must match the whole value (`a|b` is "a or b", not "starts with a…"). */
export function compilePattern(pattern: string): RE2JS {
  let re = cache.get(pattern);
  if (!re) {
    re = engine().compile(`(?:${pattern})`);
    cache.set(pattern, re);
  }
  return re;
}

/** True when the whole of `value` matches `pattern` (compiled once, linear time). */
export function matchesWhole(pattern: string, value: string): boolean {
  return compilePattern(pattern).testExact(value);
}
