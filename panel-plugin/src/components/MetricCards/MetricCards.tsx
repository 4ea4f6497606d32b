import { useMemo } from 'react';
import { LoadingState, type PanelData, type TimeZone } from '@grafana/data';
import { Icon, useStyles2, useTheme2 } from '@grafana/ui';
import type { CardsOptions } from '@runboard/protocol';
import { buildCardModel } from '../../utils/cards';
import { gridLayout } from '../../utils/layout';
import { findCardSeries } from '../../utils/series';
import { MetricCard } from '../MetricCard/MetricCard';
import { PanelMessage } from '../PanelMessage/PanelMessage';
import { getStyles } from './MetricCards.styles';

const NO_FIELDS: string[] = [];

interface Props {
  data: PanelData;
  options: CardsOptions;
  width: number;
  height: number;
  timeZone?: TimeZone;
}

/**
 * The cards view: one card per numeric series of the query. Cards are keyed by series, not by
 * position, so a live update re-renders the same elements in place.
 */
export function MetricCards({ data, options, width, height, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const frames = data.series;

  const include = options.fields ?? NO_FIELDS;
  const allSeries = useMemo(() => findCardSeries(frames, { include }), [frames, include]);
  const shown = useMemo(() => allSeries.slice(0, Math.max(1, options.maxCards || allSeries.length)), [allSeries, options.maxCards]);
  const models = useMemo(
    () => shown.map((s) => buildCardModel(s, { theme, timeZone, timeRange: data.timeRange, lookbackSeconds: options.lookbackSeconds, sparkline: options.showSparkline })),
    [shown, theme, timeZone, data.timeRange, options.lookbackSeconds, options.showSparkline],
  );
  // The links row is kept only when some card has links, so cards without any lose no space.
  const parts = useMemo(() => ({ ...options, showLinks: options.showLinks && models.some((m) => m.links.length > 0) }), [options, models]);
  const layout = gridLayout(width, height, models.length, parts);
  const errorText = data.errors?.[0]?.message ?? data.error?.message;

  const rows = frames.reduce((n, f) => n + f.length, 0);
  if (models.length === 0 || rows === 0) {
    if (data.state === LoadingState.Error) {
      return <PanelMessage kind="error" title="The query failed" detail={errorText ?? 'The datasource reported an error without a message.'} />;
    }
    if (data.state === LoadingState.Loading && frames.length === 0) {
      return <PanelMessage title="Loading…" />;
    }
    if (rows === 0) {
      return <PanelMessage title="No data" detail="The query returned no rows in this time range." />;
    }
    if (include.length > 0 && findCardSeries(frames).length > 0) {
      return (
        <PanelMessage title="None of the chosen fields are in the data" detail={`Chosen: ${include.join(', ')}. Change the Fields option to pick from what the query returns.`} />
      );
    }
    return <PanelMessage title="No numeric fields" detail="Cards show numbers; the query returned none. Check the query, or use a table panel for text." />;
  }

  return (
    <div className={styles.root} data-testid="runboard-cards">
      {data.state === LoadingState.Error && (
        <div className={styles.banner} role="alert">
          <Icon name="exclamation-triangle" aria-hidden />
          {errorText ? `Query error: ${errorText}` : 'The query reported an error; values may be stale.'}
        </div>
      )}
      <div className={styles.grid} style={{ gridTemplateColumns: `repeat(${layout.columns}, ${layout.cardWidth}px)` }}>
        {models.map((m) => (
          <MetricCard key={m.key} model={m} parts={parts} layout={layout} />
        ))}
      </div>
      {allSeries.length > shown.length && (
        <div className={styles.more}>
          {allSeries.length - shown.length} more series not shown (limit {options.maxCards}); narrow the query or the Fields option.
        </div>
      )}
    </div>
  );
}
