/**
 * What @grafana/ui needs from a browser beyond tests/plugin-setup.ts: Select menus observe
 * intersections, and Icon fetches its SVG files (react-inlinesvg) from Grafana's server, which
 * is not there: icons become plain <svg> elements carrying their name, as Grafana's own test
 * setup does. Imported by the plugin tests that render @grafana/ui, before it loads.
 */
jest.mock('react-inlinesvg', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createElement } = require('react');
  return {
    __esModule: true,
    default: ({ 'data-testid': testId, className, title, 'aria-hidden': ariaHidden }: Record<string, unknown>) =>
      createElement('svg', { 'data-testid': testId, className, 'aria-hidden': ariaHidden }, title ? createElement('title', null, title) : null),
  };
});

if (!('IntersectionObserver' in window)) {
  Object.assign(window, {
    IntersectionObserver: class {
      observe() {}
      unobserve() {}
      disconnect() {}
      takeRecords() {
        return [];
      }
    },
  });
}

/** Scroll metrics jsdom does not compute: sets them on an element, as a browser would report them. */
export function setScrollMetrics(el: HTMLElement, m: { scrollTop?: number; scrollHeight?: number; clientHeight?: number }): void {
  for (const [k, v] of Object.entries(m)) {
    Object.defineProperty(el, k, { configurable: true, writable: true, value: v });
  }
}

export {};
