/**
 * Series ids (`name` or `name{k="v",…}`) contain commas inside their braces, so lists of them
 * (the `series=` parameter) split only on commas outside braces and quotes. Pure: the plugins
 * import it too.
 */
export function splitSeriesList(raw: string | undefined): string[] {
  const out: string[] = [];
  if (!raw) return out;
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      push(out, raw.slice(start, i));
      start = i + 1;
    }
  }
  push(out, raw.slice(start));
  return out;
}

function push(out: string[], part: string): void {
  const s = part.trim();
  if (s.length > 0) out.push(s);
}

/** Canonical id of a series: labels sorted by key, values JSON-quoted. */
export function seriesId(name: string, labels?: Record<string, string>): string {
  if (!labels) return name;
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}
