/**
 * Webpack loader for the few CSS files @grafana/ui imports (uPlot, react-data-grid, rc-picker,
 * rc-slider): injects them as a <style> element, as Grafana's own build does with style-loader.
 * url() references are left as they are (the host page never needs those assets).
 */
module.exports = function cssAsStyleTag(source) {
  return `
const style = document.createElement('style');
style.setAttribute('data-source', ${JSON.stringify(require('node:path').relative(process.cwd(), this.resourcePath))});
style.textContent = ${JSON.stringify(source)};
document.head.appendChild(style);
export default {};
`;
};
