import { createTheme, dateTime, FieldType, ThresholdsMode, type Field } from '@grafana/data';
import { buildCardModel, deltaAgainstLookback, lookbackLabel, thresholdState, verdictOf, type CardContext } from '../../../panel-plugin/src/utils/cards';
import { findCardSeries } from '../../../panel-plugin/src/utils/series';
import { MIN, T0, THREE_STEPS, wideFrame } from '../helpers/frames';

const theme = createTheme();
const ctx: CardContext = { theme, lookbackSeconds: 300, sparkline: true };

function card(values: Array<number | null>, config: Field['config'] = {}, opts: Partial<CardContext> = {}) {
  const [series] = findCardSeries([wideFrame({ value: { values, config } })]);
  return buildCardModel(series, { ...ctx, ...opts });
}

describe('value display follows the field config', () => {
  test('unit and decimals', () => {
    const m = card([1, 1536 * 1024], { unit: 'bytes', decimals: 2 });
    expect(m.display.text).toBe('1.50');
    expect(m.display.suffix).toBe(' MiB');
  });

  test('percentunit', () => {
    expect(card([0.1234], { unit: 'percentunit', decimals: 1 }).display.text).toBe('12.3');
  });

  test('no value yet: hasValue false, noValue text from the config', () => {
    const m = card([null, null], { noValue: 'n/a' });
    expect(m.hasValue).toBe(false);
    expect(m.display.text).toBe('n/a');
    expect(m.state).toBeUndefined();
  });
});

describe('threshold state', () => {
  test('base / warning / critical by step, with the step colour', () => {
    expect(card([10], { thresholds: THREE_STEPS }).state).toMatchObject({ level: 'normal', label: 'Normal', step: 0, color: theme.visualization.getColorByName('green') });
    expect(card([75], { thresholds: THREE_STEPS }).state).toMatchObject({ level: 'warning', label: 'Warning', step: 1 });
    expect(card([95], { thresholds: THREE_STEPS }).state).toMatchObject({ level: 'critical', label: 'Critical', step: 2, color: theme.visualization.getColorByName('red') });
  });

  test('when higher is good the lowest step is the critical one', () => {
    const ratio = {
      thresholds: {
        mode: ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: 'red' },
          { value: 0.9, color: 'orange' },
          { value: 0.99, color: 'green' },
        ],
      },
      custom: { higherIs: 'good' },
    };
    expect(card([0.5], ratio).state?.level).toBe('critical');
    expect(card([0.95], ratio).state?.level).toBe('warning');
    expect(card([0.999], ratio).state?.level).toBe('normal');
  });

  test('percentage thresholds use min/max', () => {
    const config = {
      min: 0,
      max: 200,
      thresholds: {
        mode: ThresholdsMode.Percentage,
        steps: [
          { value: -Infinity, color: 'green' },
          { value: 50, color: 'red' },
        ],
      },
    };
    expect(card([90], config).state?.level).toBe('normal'); // 45 %
    expect(card([110], config).state?.level).toBe('critical'); // 55 %
  });

  test('only a base step: no state to show', () => {
    const field: Field = {
      name: 'v',
      type: FieldType.number,
      values: [1],
      config: { thresholds: { mode: ThresholdsMode.Absolute, steps: [{ value: -Infinity, color: 'green' }] } },
    };
    expect(thresholdState(field, 1, theme)).toBeUndefined();
  });
});

describe('delta against the lookback', () => {
  // One value a minute: 10 … 16; the latest (16) against 5 minutes earlier (11).
  const rising = [10, 11, 12, 13, 14, 15, 16];

  test('up, with the change in the field unit and relative', () => {
    const m = card(rising, { unit: 'short', decimals: 0 });
    expect(m.delta).toEqual({ direction: 'up', verdict: 'neutral', text: '+5', percentText: '+45%', lookbackLabel: '5 min' });
  });

  test('up is good or bad as the field says; down mirrors it', () => {
    expect(card(rising, { custom: { higherIs: 'good' } }).delta?.verdict).toBe('good');
    expect(card(rising, { custom: { higherIs: 'bad' } }).delta?.verdict).toBe('bad');
    const falling = [...rising].reverse();
    expect(card(falling, { custom: { higherIs: 'good' } }).delta).toMatchObject({ direction: 'down', verdict: 'bad', text: '-5' });
    expect(card(falling, { custom: { higherIs: 'bad' } }).delta?.verdict).toBe('good');
  });

  test('a change of a percentage is in percentage points, next to the relative change', () => {
    // 40 % → 44 %: +4 percentage points, +10 % relative; not "+4% (+10%)".
    expect(card([0.4, 0.41, 0.42, 0.43, 0.43, 0.44], { unit: 'percentunit', decimals: 1 }).delta).toMatchObject({ text: '+4.0 pp', percentText: '+10%' });
    expect(card([80, 79, 78, 77, 76, 72], { unit: 'percent', decimals: 0 }).delta).toMatchObject({ direction: 'down', text: '-8 pp', percentText: '-10%' });
  });

  test('1 minute and 15 minutes back', () => {
    expect(card(rising, {}, { lookbackSeconds: 60 }).delta?.text).toBe('+1');
    const m = card(rising, {}, { lookbackSeconds: 900 });
    expect(m.delta).toBeUndefined();
    expect(m.deltaMissing).toBe('no value 15 min earlier');
  });

  test('unchanged is flat and neutral', () => {
    expect(card([5, 5, 5, 5, 5, 5], { custom: { higherIs: 'good' } }).delta).toMatchObject({ direction: 'flat', verdict: 'neutral', percentText: undefined });
  });

  test('a gap at the lookback point falls back to the value before it', () => {
    const time: Field = { name: 'Time', type: FieldType.time, config: {}, values: [T0, T0 + MIN, T0 + 6 * MIN] };
    const field: Field = { name: 'v', type: FieldType.number, config: {}, values: [4, null, 8] };
    expect(deltaAgainstLookback(field, time, 2, 300, 'neutral')).toMatchObject({ direction: 'up', text: '+4', percentText: '+100%' });
  });

  test('labels and verdicts', () => {
    expect([60, 300, 900, 3600, 45].map(lookbackLabel)).toEqual(['1 min', '5 min', '15 min', '1 h', '45 s']);
    expect(verdictOf('up', 'good')).toBe('good');
    expect(verdictOf('down', 'neutral')).toBe('neutral');
  });
});

describe('sparkline data', () => {
  test('x is the time field, y the values with their range, over the visible range', () => {
    const range = { from: dateTime(T0), to: dateTime(T0 + 10 * MIN), raw: { from: 'now-10m', to: 'now' } };
    const m = card([3, 1, 4, 1, 5], { unit: 'short' }, { timeRange: range });
    expect(m.sparkline?.x?.values).toHaveLength(5);
    expect(m.sparkline?.y.values).toEqual([3, 1, 4, 1, 5]);
    expect(m.sparkline?.y.state?.range).toMatchObject({ min: 1, max: 5 });
    expect(m.sparkline?.y.config.unit).toBe('short');
    expect(m.sparkline?.timeRange).toBe(range);
  });

  test('off, or a single point: none', () => {
    expect(card([1, 2], {}, { sparkline: false }).sparkline).toBeUndefined();
    expect(card([1]).sparkline).toBeUndefined();
  });
});
