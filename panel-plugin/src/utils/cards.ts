/**
 * One card's content from its series: the latest value through Grafana's display processor (so
 * unit, decimals, min/max, mappings, thresholds and colour behave as in any Grafana panel), the
 * active threshold step as a named level, the change against a lookback, and the sparkline data.
 */
import {
  formattedValueToString,
  getActiveThreshold,
  getDisplayProcessor,
  getMinMaxAndDelta,
  getScaleCalculator,
  getValueFormat,
  type DisplayValue,
  type Field,
  type FieldSparkline,
  type GrafanaTheme2,
  type Threshold,
  type TimeRange,
  type TimeZone,
} from '@grafana/data';
import type { CardDelta, CardModel, CardSeries, DeltaDirection, DeltaVerdict, ThresholdLevel, ThresholdState } from '../types/cards';
import type { CardFieldConfig, HigherIs } from '@runboard/protocol';
import { lastValueIndex } from './series';

export interface CardContext {
  theme: GrafanaTheme2;
  timeZone?: TimeZone;
  timeRange?: TimeRange;
  lookbackSeconds: number;
  sparkline: boolean;
}

export function buildCardModel(series: CardSeries, ctx: CardContext): CardModel {
  const { field, time } = series;
  const index = lastValueIndex(field.values);
  const process = field.display ?? getDisplayProcessor({ field, theme: ctx.theme, timeZone: ctx.timeZone });
  const value = index >= 0 ? (field.values[index] as number) : null;
  const display: DisplayValue = value === null ? { text: field.config.noValue ?? '', numeric: NaN } : process(value);
  const higherIs = higherIsOf(field);
  const model: CardModel = {
    key: series.key,
    title: series.title,
    display,
    hasValue: value !== null,
    links: [],
  };
  if (value !== null) {
    model.state = thresholdState(field, value, ctx.theme, higherIs);
    model.links = series.getLinks();
    if (time) {
      const delta = deltaAgainstLookback(field, time, index, ctx.lookbackSeconds, higherIs);
      if (typeof delta === 'string') {
        model.deltaMissing = delta;
      } else {
        model.delta = delta;
      }
    } else {
      model.deltaMissing = 'no time field';
    }
  }
  if (ctx.sparkline && time && field.values.length > 1) {
    model.sparkline = sparklineOf(series, ctx.timeRange);
  }
  return model;
}

export function higherIsOf(field: Field): HigherIs {
  const v = (field.config.custom as Partial<CardFieldConfig> | undefined)?.higherIs;
  return v === 'good' || v === 'bad' ? v : 'neutral';
}

const LEVEL_LABELS: Record<ThresholdLevel, string> = { normal: 'Normal', warning: 'Warning', critical: 'Critical' };

/**
 * The active threshold step as a level. Steps are ordered by value; which end is bad follows the
 * field's "higher is" setting (a success ratio's lowest step is its critical one). The base step
 * alone carries no state.
 */
export function thresholdState(field: Field, value: number, theme: GrafanaTheme2, higherIs: HigherIs = higherIsOf(field)): ThresholdState | undefined {
  const steps = field.config.thresholds?.steps;
  if (!steps || steps.length < 2) {
    return undefined;
  }
  // The scale calculator knows percentage thresholds (min/max); fall back to absolute ones.
  let active: Threshold | undefined = getScaleCalculator(field, theme)(value).threshold;
  let step = active ? steps.indexOf(active) : -1;
  if (step < 0) {
    active = getActiveThreshold(value, steps);
    step = steps.indexOf(active);
  }
  if (step < 0 || !active) {
    return undefined;
  }
  const last = steps.length - 1;
  const severity = higherIs === 'good' ? last - step : step;
  const level: ThresholdLevel = severity === 0 ? 'normal' : severity === last ? 'critical' : 'warning';
  return { level, label: LEVEL_LABELS[level], color: theme.visualization.getColorByName(active.color), step };
}

export function lookbackLabel(seconds: number): string {
  if (seconds % 3600 === 0) {
    return `${seconds / 3600} h`;
  }
  if (seconds % 60 === 0) {
    return `${seconds / 60} min`;
  }
  return `${seconds} s`;
}

/**
 * The change from the last value at or before (latest time − lookback) to the latest value.
 * Returns why there is none when the series does not reach back that far.
 */
export function deltaAgainstLookback(field: Field, time: Field, latest: number, lookbackSeconds: number, higherIs: HigherIs): CardDelta | string {
  const label = lookbackLabel(lookbackSeconds);
  const target = (time.values[latest] as number) - lookbackSeconds * 1000;
  let past = -1;
  for (let i = latest - 1; i >= 0; i--) {
    const v = field.values[i];
    if ((time.values[i] as number) <= target && typeof v === 'number' && Number.isFinite(v)) {
      past = i;
      break;
    }
  }
  if (past < 0) {
    return `no value ${label} earlier`;
  }
  const now = field.values[latest] as number;
  const then = field.values[past] as number;
  const change = now - then;
  // Float noise (0.1 + 0.2 − 0.3) is no change.
  const flat = Math.abs(change) <= 1e-9 * Math.max(Math.abs(now), Math.abs(then), 1);
  const direction: DeltaDirection = flat ? 'flat' : change > 0 ? 'up' : 'down';
  return {
    direction,
    verdict: verdictOf(direction, higherIs),
    text: signed(flat ? 0 : change, formatMagnitude(field, flat ? 0 : Math.abs(change))),
    percentText: then !== 0 && !flat ? signed(change, `${formatPercent((Math.abs(change) / Math.abs(then)) * 100)}%`) : undefined,
    lookbackLabel: label,
  };
}

export function verdictOf(direction: DeltaDirection, higherIs: HigherIs): DeltaVerdict {
  if (direction === 'flat' || higherIs === 'neutral') {
    return 'neutral';
  }
  return (direction === 'up') === (higherIs === 'good') ? 'good' : 'bad';
}

/**
 * The change in the field's unit. A change of a percentage is in percentage points ("pp"): with
 * "%" beside the relative change, "-3.45% (-3.4%)" reads like one figure said twice.
 */
function formatMagnitude(field: Field, magnitude: number): string {
  const unit = field.config.unit;
  if (unit === 'percent' || unit === 'percentunit') {
    const points = unit === 'percentunit' ? magnitude * 100 : magnitude;
    const format = getValueFormat('none');
    return `${formattedValueToString(format(points, field.config.decimals ?? undefined))} pp`;
  }
  const format = getValueFormat(unit || 'none');
  return formattedValueToString(format(magnitude, field.config.decimals ?? undefined));
}

function formatPercent(p: number): string {
  // Decided on the rounded figure: 9.9999 (float noise of 10) prints "10", not "10.0".
  return Number(p.toFixed(1)) >= 10 ? p.toFixed(0) : p.toFixed(1);
}

function signed(change: number, text: string): string {
  if (change > 0) {
    return `+${text}`;
  }
  return change < 0 ? `-${text}` : `±${text}`;
}

/** The sparkline of the visible range; the y field gets its range, which Grafana's Sparkline needs. */
export function sparklineOf(series: CardSeries, timeRange?: TimeRange): FieldSparkline {
  const y: Field = { ...series.field, state: { ...(series.field.state ?? {}), range: getMinMaxAndDelta(series.field) } };
  return { x: series.time, y, timeRange };
}
