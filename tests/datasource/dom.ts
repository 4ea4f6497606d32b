/**
 * What @grafana/ui needs in jsdom beyond tests/plugin-setup.ts, for the editor tests: Select
 * menus observe intersections, and Icon loads its SVGs (react-inlinesvg) from Grafana's server,
 * which is not there, so icons become plain <svg> elements. Import before @grafana/ui.
 */
jest.mock('react-inlinesvg', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createElement } = require('react');
  return { __esModule: true, default: ({ title }: { title?: string }) => createElement('svg', null, title ? createElement('title', null, title) : null) };
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

export {};
