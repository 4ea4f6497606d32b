/**
 * The cards view rendered with Grafana's real UI components, except Sparkline: it draws on a
 * canvas jsdom does not have, so it is replaced by a stub that exposes the data it was given.
 */
import '../helpers/grafana-ui-dom';
import { render, screen, within } from '@testing-library/react';
import { colorManipulator, createTheme, dateTime, LoadingState, ThemeContext, ThresholdsMode, type FieldSparkline, type PanelData } from '@grafana/data';
import { MetricCards } from '../../panel-plugin/src/components/MetricCards/MetricCards';
import { DEFAULT_CARDS } from '../../panel-plugin/src/constants';
import type { CardsOptions } from '@runboard/protocol';
import { MIN, prometheusLongFrame, prometheusMultiFrames, T0, THREE_STEPS, wideFrame } from './helpers/frames';

jest.mock('@grafana/ui', () => {
  const actual = jest.requireActual('@grafana/ui');
  return {
    ...actual,
    Sparkline: ({ sparkline, width, height }: { sparkline: FieldSparkline; width: number; height: number }) => (
      <div data-testid="sparkline-stub" data-width={width} data-height={height} data-x={JSON.stringify(sparkline.x?.values)} data-y={JSON.stringify(sparkline.y.values)} />
    ),
  };
});

const range = { from: dateTime(T0), to: dateTime(T0 + 10 * MIN), raw: { from: 'now-10m', to: 'now' } };

function panelData(series: PanelData['series'], over: Partial<PanelData> = {}): PanelData {
  return { state: LoadingState.Done, series, timeRange: range, ...over };
}

function renderCards(data: PanelData, options: Partial<CardsOptions> = {}) {
  const props = { data, options: { ...DEFAULT_CARDS, ...options }, width: 900, height: 400 };
  const view = render(<MetricCards {...props} />);
  return { ...view, update: (next: PanelData, o: Partial<CardsOptions> = options) => view.rerender(<MetricCards {...props} data={next} options={{ ...DEFAULT_CARDS, ...o }} />) };
}

const hex = (color: string) => colorManipulator.asHexString(color).toLowerCase();

const cpu = (values: number[]) => ({ values, config: { unit: 'percent', decimals: 1, thresholds: THREE_STEPS, custom: { higherIs: 'bad' as const } } });

describe('cards', () => {
  test('one card per numeric field with title, formatted value and unit', () => {
    renderCards(panelData([wideFrame({ cpu: cpu([50, 51.234]), memory: { values: [1, 1536 * 1024], config: { unit: 'bytes', decimals: 2 } } })]));
    const cards = screen.getAllByTestId('runboard-card');
    expect(cards).toHaveLength(2);
    expect(within(cards[0]).getByRole('heading')).toHaveTextContent('cpu');
    expect(within(cards[0]).getByTestId('runboard-card-value')).toHaveTextContent('51.2%');
    expect(within(cards[1]).getByTestId('runboard-card-value')).toHaveTextContent('1.50 MiB');
    expect(within(cards[1]).getByTestId('runboard-card-value')).toHaveAttribute('aria-label', '1.50 MiB');
  });

  test('threshold state shows as colour and as an icon with a word', () => {
    const theme = createTheme();
    renderCards(panelData([wideFrame({ ok: cpu([10]), warn: cpu([75]), crit: cpu([95]) })]));
    const [ok, warn, crit] = screen.getAllByTestId('runboard-card');
    expect(within(ok).getByTestId('runboard-card-state')).toHaveTextContent('Normal');
    expect(within(warn).getByTestId('runboard-card-state')).toHaveTextContent('Warning');
    const critBadge = within(crit).getByTestId('runboard-card-state');
    expect(critBadge).toHaveTextContent('Critical');
    expect(critBadge).toHaveAttribute('title', 'Threshold state: Critical');
    expect(within(critBadge).getByTestId('icon-exclamation-circle')).toBeInTheDocument();
    expect(within(warn).getByTestId('icon-exclamation-triangle')).toBeInTheDocument();
    expect(within(ok).getByTestId('icon-check-circle')).toBeInTheDocument();
    const red = theme.visualization.getColorByName('red');
    expect(critBadge).toHaveStyle({ background: red });
    expect(crit.style.getPropertyValue('--runboard-card-accent')).toBe(red);
    expect(crit).toHaveAttribute('data-state', 'critical');
  });

  test('text contrast follows the theme: a pale threshold colour never becomes pale text', () => {
    const yellow = {
      thresholds: {
        mode: ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: 'yellow' },
          { value: 100, color: 'red' },
        ],
      },
    };
    const frames = [wideFrame({ v: { values: [1], config: yellow } })];
    for (const mode of ['dark', 'light'] as const) {
      const theme = createTheme({ colors: { mode } });
      const { unmount } = render(
        <ThemeContext.Provider value={theme}>
          <MetricCards data={panelData(frames)} options={DEFAULT_CARDS} width={600} height={300} />
        </ThemeContext.Provider>,
      );
      const value = screen.getByTestId('runboard-card-value');
      const shown = value.style.color;
      const expected = mode === 'dark' ? theme.visualization.getColorByName('yellow') : theme.colors.text.primary;
      expect(hex(shown)).toBe(hex(expected));
      const badge = screen.getByTestId('runboard-card-state');
      expect(
        colorManipulator.getContrastRatio(theme.colors.getContrastText(theme.visualization.getColorByName('yellow')), theme.visualization.getColorByName('yellow')),
      ).toBeGreaterThanOrEqual(4.5);
      expect(hex(badge.style.color)).toBe(hex(theme.colors.getContrastText(theme.visualization.getColorByName('yellow'))));
      unmount();
    }
  });

  test('the state badge can be hidden (the colour strip stays)', () => {
    renderCards(panelData([wideFrame({ crit: cpu([95]) })]), { showState: false });
    expect(screen.queryByTestId('runboard-card-state')).toBeNull();
  });

  test('delta vs the lookback: arrow direction, good/bad, text', () => {
    const up = [10, 11, 12, 13, 14, 15, 16];
    renderCards(panelData([wideFrame({ errors: { values: up, config: { custom: { higherIs: 'bad' } } }, throughput: { values: up, config: { custom: { higherIs: 'good' } } } })]), {
      lookbackSeconds: 300,
    });
    const [errors, throughput] = screen.getAllByTestId('runboard-card-delta');
    expect(errors).toHaveAttribute('data-direction', 'up');
    expect(errors).toHaveAttribute('data-verdict', 'bad');
    expect(errors).toHaveTextContent('+5 (+45%)');
    expect(errors).toHaveTextContent('vs 5 min ago');
    expect(errors).toHaveTextContent(/up.*worse/);
    expect(throughput).toHaveAttribute('data-verdict', 'good');
    expect(throughput).toHaveTextContent(/better/);
  });

  test('delta without enough history says so', () => {
    renderCards(panelData([wideFrame({ v: { values: [1, 2] } })]), { lookbackSeconds: 900 });
    expect(screen.getByTestId('runboard-card-delta')).toHaveTextContent('no value 15 min earlier');
  });

  test('sparkline of the visible range, sized to the card', () => {
    renderCards(panelData([wideFrame({ v: { values: [3, 1, 4] } })]));
    const stub = screen.getByTestId('sparkline-stub');
    expect(JSON.parse(stub.dataset.y!)).toEqual([3, 1, 4]);
    expect(JSON.parse(stub.dataset.x!)).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);
    expect(Number(stub.dataset.width)).toBeGreaterThan(100);
  });

  test('parts can be turned off', () => {
    renderCards(panelData([wideFrame({ v: { values: [3, 1, 4] } })]), { showSparkline: false, showDelta: false, showTitle: false });
    expect(screen.queryByTestId('sparkline-stub')).toBeNull();
    expect(screen.queryByTestId('runboard-card-delta')).toBeNull();
    expect(screen.queryByRole('heading')).toBeNull();
  });

  test('columns and size are options', () => {
    const { container } = renderCards(panelData([wideFrame({ a: { values: [1] }, b: { values: [2] }, c: { values: [3] } })]), { columns: 2 });
    const grid = container.querySelector('[data-testid="runboard-cards"] > div') as HTMLElement;
    expect(grid.style.gridTemplateColumns).toMatch(/^repeat\(2, \d+px\)$/);
  });

  test('Prometheus frames, one per series, and long frames work alike', () => {
    const { update } = renderCards(
      panelData(
        prometheusMultiFrames([
          { labels: { instance: 'a' }, values: [1, 2] },
          { labels: { instance: 'b' }, values: [3, 4] },
        ]),
      ),
    );
    expect(screen.getAllByRole('heading').map((h) => h.textContent)).toEqual(['a', 'b']);
    update(
      panelData([
        prometheusLongFrame([
          [T0, 'x', 1],
          [T0, 'y', 2],
          [T0 + MIN, 'x', 5],
          [T0 + MIN, 'y', 6],
        ]),
      ]),
    );
    expect(screen.getAllByTestId('runboard-card-value').map((v) => v.textContent)).toEqual(['5', '6']);
  });

  test('data links of the latest value', () => {
    const frame = wideFrame({ v: { values: [1, 2] } });
    frame.fields[1].getLinks = () => [{ href: 'https://example.com/v', title: 'Details', target: '_blank', origin: frame.fields[1] }];
    renderCards(panelData([frame]));
    expect(screen.getByRole('link', { name: /Details/ })).toHaveAttribute('href', 'https://example.com/v');
  });

  test('a live update re-renders the same card elements (no re-mount, no layout change)', () => {
    const { update } = renderCards(panelData([wideFrame({ cpu: cpu([10, 20]), memory: { values: [1, 2] } })]));
    const before = screen.getAllByTestId('runboard-card');
    const heights = before.map((c) => c.style.height);
    const valueNode = within(before[0]).getByTestId('runboard-card-value');
    update(panelData([wideFrame({ cpu: cpu([10, 20, 95]), memory: { values: [1, 2, 3] } })]));
    const after = screen.getAllByTestId('runboard-card');
    expect(after[0]).toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    expect(within(after[0]).getByTestId('runboard-card-value')).toBe(valueNode);
    expect(valueNode).toHaveTextContent('95.0%');
    expect(after.map((c) => c.style.height)).toEqual(heights);
    expect(within(after[0]).getByTestId('runboard-card-state')).toHaveTextContent('Critical');
  });
});

describe('empty, no-data and error states', () => {
  test('no frames: No data', () => {
    renderCards(panelData([]));
    expect(screen.getByRole('status')).toHaveTextContent('No data');
  });

  test('frames without rows: No data', () => {
    renderCards(panelData([wideFrame({ v: { values: [] } })]));
    expect(screen.getByText('No data')).toBeInTheDocument();
  });

  test('only text fields: No numeric fields', () => {
    renderCards(panelData([{ fields: [{ name: 'msg', type: 'string' as never, values: ['x'], config: {} }], length: 1 }]));
    expect(screen.getByText('No numeric fields')).toBeInTheDocument();
  });

  test('a chosen field that is not in the data', () => {
    renderCards(panelData([wideFrame({ v: { values: [1] } })]), { fields: ['nope'] });
    expect(screen.getByText('None of the chosen fields are in the data')).toBeInTheDocument();
  });

  test('a failed query without data: the error message', () => {
    renderCards(panelData([], { state: LoadingState.Error, errors: [{ message: 'Bad gateway from Prometheus' }] }));
    expect(screen.getByRole('alert')).toHaveTextContent('The query failed');
    expect(screen.getByRole('alert')).toHaveTextContent('Bad gateway from Prometheus');
  });

  test('an error with stale data keeps the cards and says so', () => {
    renderCards(panelData([wideFrame({ v: { values: [1] } })], { state: LoadingState.Error, errors: [{ message: 'stream dropped' }] }));
    expect(screen.getAllByTestId('runboard-card')).toHaveLength(1);
    expect(screen.getByRole('alert')).toHaveTextContent('Query error: stream dropped');
  });

  test('a card with no value yet says so', () => {
    renderCards(panelData([wideFrame({ v: { values: [null, null] } })]));
    expect(screen.getByTestId('runboard-card-value')).toHaveTextContent('No value');
  });

  test('too many series: the first ones and a note', () => {
    const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`s${i}`, { values: [i] }]));
    renderCards(panelData([wideFrame(many)]), { maxCards: 3 });
    expect(screen.getAllByTestId('runboard-card')).toHaveLength(3);
    expect(screen.getByText(/2 more series not shown/)).toBeInTheDocument();
  });
});
