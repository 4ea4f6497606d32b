/**
 * Admin parameter patterns run on RE2 (re2js, a pure-JS port): matching time is linear in the
 * value's length whatever the pattern, so a pattern such as `([a-z]+)+$` cannot hold the event
 * loop the way a backtracking JavaScript RegExp does (README "Parameter rules"). The price is
 * RE2's syntax: no backreferences and no lookaround, refused when the config loads.
 */
import { RE2JS } from 're2js';

const cache = new Map<string, RE2JS>();

/** Why `pattern` cannot be compiled, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  try {
    // The bare pattern first: `a)|(b` only compiles once wrapped, and must not pass for that.
    RE2JS.compile(pattern);
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
    re = RE2JS.compile(`(?:${pattern})`);
    cache.set(pattern, re);
  }
  return re;
}

/** True when the whole of `value` matches `pattern` (compiled once, linear time). */
export function matchesWhole(pattern: string, value: string): boolean {
  return compilePattern(pattern).testExact(value);
}
