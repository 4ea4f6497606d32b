/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by module, and total
 * (inclusive) time of the functions on top. `node -r ./bench/register.js bench/src/tools/profile-top.ts FILE [N]`.
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function summarise(file: string, top = 25): string {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const name = (n: Node) => {
    const url = n.callFrame.url
      .replace(/^file:\/\//, '')
      .replace(/.*\/node_modules\//, '~/')
      .replace(/.*\/exporter\/dist\//, 'dist/');
    return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
  };
  const module = (n: Node) => {
    const url = n.callFrame.url;
    if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (nm) return nm[1];
    const dist = /exporter\/dist\/(.+)$/.exec(url);
    if (dist) return `dist/${dist[1]}`;
    if (url.startsWith('node:')) return url;
    return url;
  };
  const total = p.timeDeltas.reduce((a, b) => a + b, 0);
  const selfByName = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    selfByName.set(name(n), (selfByName.get(name(n)) ?? 0) + t);
    selfByModule.set(module(n), (selfByModule.get(module(n)) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const nm = name(byId.get(cur)!);
      if (seen.has(nm)) continue;
      seen.add(nm);
      inclusive.set(nm, (inclusive.get(nm) ?? 0) + t);
    }
  }
  const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(1).padStart(8)} ms`;
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => `${pct(t)}  ${k}`)
      .join('\n');
  return [
    `${file}: ${(total / 1e6).toFixed(1)} s sampled`,
    '\n== self time by module ==',
    list(selfByModule),
    '\n== self time by function ==',
    list(selfByName),
    '\n== inclusive time ==',
    list(inclusive),
  ].join('\n');
}

if (require.main === module) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: profile-top FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  process.stdout.write(summarise(file, Number(n ?? 25)) + '\n');
}
