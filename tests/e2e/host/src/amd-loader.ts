/**
 * A small AMD loader that loads a plugin's `module.js` the way Grafana's plugin loader does:
 * Grafana fetches the file with SystemJS, wraps AMD sources as
 * `(function(define) { <source> })(window.__grafana_amd_define)` and evaluates them with the
 * SystemJS AMD extra, which resolves every dependency by name from an import map of shared
 * modules (`package:<name>` → the module Grafana itself bundles). Special dependencies: `exports`
 * and `module` are the module's own objects, `require` is unsupported; a shared module marked
 * `__useDefault` is passed as its `default`. A name Grafana does not share fails to load.
 */

export type SharedModule = Record<string, unknown> | (() => Promise<Record<string, unknown>>);
export type SharedMap = Record<string, SharedModule>;

type Factory = (...deps: unknown[]) => unknown;
interface Definition {
  deps: string[];
  factory: Factory | Record<string, unknown>;
}

interface AmdDefine {
  (...args: unknown[]): void;
  amd: Record<string, unknown>;
}

declare global {
  interface Window {
    __grafana_amd_define?: AmdDefine;
  }
}

export class AmdLoader {
  private readonly cache = new Map<string, Promise<Record<string, unknown>>>();
  private readonly resolved = new Map<string, Promise<unknown>>();
  private pending: Definition[] = [];

  constructor(private readonly shared: SharedMap) {
    const define = ((...args: unknown[]) => {
      // define(name?, deps?, factory)
      if (typeof args[0] === 'string') args.shift();
      const deps = Array.isArray(args[0]) ? (args.shift() as string[]) : ['require', 'exports', 'module'];
      this.pending.push({ deps, factory: args[0] as Definition['factory'] });
    }) as AmdDefine;
    define.amd = {};
    window.__grafana_amd_define = define;
  }

  /** Names the loader can provide (the shared map). */
  get sharedNames(): string[] {
    return Object.keys(this.shared);
  }

  /** Imports a plugin module by URL; each URL is fetched and evaluated once. */
  import(url: string): Promise<Record<string, unknown>> {
    let p = this.cache.get(url);
    if (!p) {
      p = this.load(url);
      this.cache.set(url, p);
    }
    return p;
  }

  private async load(url: string): Promise<Record<string, unknown>> {
    const res = await fetch(url, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`loading ${url} failed: HTTP ${res.status}`);
    const source = await res.text();
    // As Grafana's decorateSystemJSFetch: run the AMD source against the loader's own define.
    const wrapped = `(function(define) {\n${source}\n})(window.__grafana_amd_define);\n//# sourceURL=${new URL(url, document.baseURI).href}`;
    const before = this.pending.length;
    await runScript(wrapped);
    const defs = this.pending.splice(before);
    if (defs.length === 0) throw new Error(`${url} did not call define(): not an AMD module`);
    return this.instantiate(url, defs[defs.length - 1]);
  }

  private async instantiate(url: string, def: Definition): Promise<Record<string, unknown>> {
    const exports: Record<string, unknown> = {};
    const module = { id: url, uri: new URL(url, document.baseURI).href, exports };
    if (typeof def.factory !== 'function') return def.factory;
    const deps = await Promise.all(
      def.deps.map((name) => {
        if (name === 'exports') return exports;
        if (name === 'module') return module;
        if (name === 'require') return unsupportedRequire;
        return this.resolveShared(name, url);
      }),
    );
    const result = def.factory(...deps);
    return (result === undefined ? module.exports : result) as Record<string, unknown>;
  }

  private resolveShared(name: string, from: string): Promise<unknown> {
    let p = this.resolved.get(name);
    if (!p) {
      const entry = this.shared[name];
      if (entry === undefined) {
        return Promise.reject(new Error(`${from} depends on "${name}", which Grafana does not share with plugins (bundle it into the plugin)`));
      }
      p = Promise.resolve(typeof entry === 'function' ? entry() : entry).then((ns) =>
        ns && (ns as { __useDefault?: boolean }).__useDefault ? (ns as { default: unknown }).default : ns,
      );
      this.resolved.set(name, p);
    }
    return p;
  }
}

function unsupportedRequire(): never {
  throw new Error('AMD require() is not supported by Grafana plugin loading');
}

/** Evaluates a script through a blob: URL script element, so errors carry the plugin's URL. */
function runScript(source: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const blobUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const script = document.createElement('script');
    let error: unknown;
    const onError = (e: ErrorEvent) => {
      if (e.filename === blobUrl || (e.filename ?? '').startsWith('blob:')) error = e.error ?? new Error(e.message);
    };
    window.addEventListener('error', onError);
    script.src = blobUrl;
    script.onload = () => {
      window.removeEventListener('error', onError);
      URL.revokeObjectURL(blobUrl);
      script.remove();
      if (error) reject(error);
      else resolve();
    };
    script.onerror = () => {
      window.removeEventListener('error', onError);
      URL.revokeObjectURL(blobUrl);
      reject(new Error('plugin script failed to load'));
    };
    document.head.appendChild(script);
  });
}
