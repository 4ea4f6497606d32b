/**
 * For test files that run under `@jest-environment node` (for Node's streaming fetch, which jsdom
 * lacks) but import @grafana/data: that package touches `window` and `document` while it loads
 * (a local-storage listener, react-use's CSS helper). This gives it a detached jsdom window and
 * document, and leaves Node's own globals (fetch, streams, AbortController) untouched.
 * Import it before anything that imports @grafana/data.
 */
import { JSDOM } from 'jsdom';

if (typeof (globalThis as { document?: unknown }).document === 'undefined') {
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { url: 'http://localhost/' });
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  // Closed with the file's tests, before Jest clears the globals it set.
  afterAll(() => dom.window.close());
}
