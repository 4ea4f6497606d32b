/**
 * What @grafana/ui needs from a browser beyond tests/plugin-setup.ts: Select menus observe
 * intersections. Imported by the panel tests before rendering.
 */
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
