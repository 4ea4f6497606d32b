import type { DisplayValue, Field, FieldSparkline, LinkModel } from '@grafana/data';

/** One numeric series found in the query frames: one card. */
export interface CardSeries {
  /** Stable across data updates (query, field, labels), so React keeps the same card mounted. */
  key: string;
  title: string;
  /** The values, in time order, carrying the field config Grafana applied (unit, thresholds …). */
  field: Field;
  /** The matching times, when the frame has a time field. */
  time?: Field;
  /** Data links of the row with the latest value. */
  getLinks: () => LinkModel[];
}

/** Severity of the active threshold step, so state never hinges on colour alone. */
export type ThresholdLevel = 'normal' | 'warning' | 'critical';

export interface ThresholdState {
  level: ThresholdLevel;
  label: string;
  /** The step's colour, resolved by the theme. */
  color: string;
  /** 0 = the base step. */
  step: number;
}

export type DeltaDirection = 'up' | 'down' | 'flat';
export type DeltaVerdict = 'good' | 'bad' | 'neutral';

export interface CardDelta {
  direction: DeltaDirection;
  verdict: DeltaVerdict;
  /** Signed change with the field's unit, e.g. "+1.20 MB". */
  text: string;
  /** Signed relative change, e.g. "+12.5%", when the old value is not zero. */
  percentText?: string;
  /** E.g. "5 min". */
  lookbackLabel: string;
}

export interface CardModel {
  key: string;
  title: string;
  /** Formatted value; empty text when there is no value yet. */
  display: DisplayValue;
  hasValue: boolean;
  state?: ThresholdState;
  /** Undefined when the series does not reach back far enough (see deltaMissing). */
  delta?: CardDelta;
  deltaMissing?: string;
  sparkline?: FieldSparkline;
  links: LinkModel[];
}
