/**
 * The card grid's geometry, computed from the panel size rather than left to CSS, so each card
 * knows its pixel width (Grafana's Sparkline needs one) and its height never depends on the value
 * it shows: a live update changes text, never the layout.
 */
import type { CardSize, CardsOptions } from '@runboard/protocol';

export interface CardMetrics {
  minWidth: number;
  valueFontSize: number;
  sparklineHeight: number;
}

export const CARD_SIZES: Record<CardSize, CardMetrics> = {
  sm: { minWidth: 150, valueFontSize: 22, sparklineHeight: 28 },
  md: { minWidth: 210, valueFontSize: 30, sparklineHeight: 40 },
  lg: { minWidth: 290, valueFontSize: 42, sparklineHeight: 56 },
};

/** Space between cards and inside them, in px (one and two Grafana grid units). */
export const GRID_GAP = 8;
export const CARD_PADDING = 12;
const TITLE_ROW = 24;
const DELTA_ROW = 20;
const LINKS_ROW = 20;

export interface GridLayout {
  columns: number;
  cardWidth: number;
  cardHeight: number;
  sparklineWidth: number;
  metrics: CardMetrics;
}

export type LayoutParts = Pick<CardsOptions, 'columns' | 'size' | 'showTitle' | 'showState' | 'showDelta' | 'showSparkline' | 'showLinks'>;

/** Room kept for a vertical scrollbar when the cards do not fit the panel's height. */
export const SCROLLBAR_ALLOWANCE = 12;

export function gridLayout(width: number, height: number, count: number, options: LayoutParts): GridLayout {
  const fits = layoutFor(Math.max(0, width), count, options);
  const rows = Math.ceil(count / fits.columns);
  const contentHeight = rows * fits.cardHeight + Math.max(0, rows - 1) * GRID_GAP;
  return contentHeight > height ? layoutFor(Math.max(0, width - SCROLLBAR_ALLOWANCE), count, options) : fits;
}

function layoutFor(usable: number, count: number, options: LayoutParts): GridLayout {
  const metrics = CARD_SIZES[options.size] ?? CARD_SIZES.md;
  let columns: number;
  if (options.columns > 0) {
    columns = Math.floor(options.columns);
  } else {
    columns = Math.max(1, Math.floor((usable + GRID_GAP) / (metrics.minWidth + GRID_GAP)));
    // A few cards share the width rather than leave empty columns.
    columns = Math.max(1, Math.min(columns, count));
  }
  const cardWidth = Math.max(0, Math.floor((usable - GRID_GAP * (columns - 1)) / columns));
  const valueRow = Math.ceil(metrics.valueFontSize * 1.25);
  const cardHeight =
    CARD_PADDING * 2 +
    (options.showTitle || options.showState ? TITLE_ROW : 0) +
    valueRow +
    (options.showDelta ? DELTA_ROW : 0) +
    (options.showSparkline ? metrics.sparklineHeight + 4 : 0) +
    (options.showLinks ? LINKS_ROW : 0);
  return { columns, cardWidth, cardHeight, sparklineWidth: Math.max(0, cardWidth - CARD_PADDING * 2), metrics };
}
