import React from 'react';
import { colorManipulator, FieldColorModeId, type IconName } from '@grafana/data';
import { Icon, Sparkline, useStyles2, useTheme2 } from '@grafana/ui';
import type { CardModel, DeltaDirection, ThresholdLevel } from '../../types/cards';
import type { CardsOptions } from '@runboard/protocol';
import type { GridLayout } from '../../utils/layout';
import { getStyles } from './MetricCard.styles';

export type CardParts = Pick<CardsOptions, 'showTitle' | 'showState' | 'showDelta' | 'showSparkline' | 'showLinks'>;

interface Props {
  model: CardModel;
  parts: CardParts;
  layout: GridLayout;
}

const LEVEL_ICONS: Record<ThresholdLevel, IconName> = { normal: 'check-circle', warning: 'exclamation-triangle', critical: 'exclamation-circle' };
const ARROWS: Record<DeltaDirection, IconName> = { up: 'arrow-up', down: 'arrow-down', flat: 'arrow-right' };
const VERDICT_WORDS = { good: 'better', bad: 'worse', neutral: '' } as const;

/** Large text passes WCAG AA at 3:1; below that the value keeps the theme's text colour. */
const MIN_VALUE_CONTRAST = 3;

export const MetricCard = React.memo(function MetricCard({ model, parts, layout }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const { display, state, delta } = model;
  const accent = state?.color ?? display.color ?? theme.colors.border.medium;
  const background = theme.colors.background.secondary;
  const valueColor =
    model.hasValue && display.color && colorManipulator.getContrastRatio(display.color, background) >= MIN_VALUE_CONTRAST ? display.color : theme.colors.text.primary;
  const valueLabel = model.hasValue ? `${display.prefix ?? ''}${display.text}${display.suffix ?? ''}` : 'No value';

  return (
    <article
      className={styles.card}
      style={{ height: layout.cardHeight, ['--runboard-card-accent' as string]: accent }}
      aria-label={model.title}
      data-testid="runboard-card"
      data-state={state?.level}
    >
      {(parts.showTitle || (parts.showState && state)) && (
        <div className={styles.header}>
          {parts.showTitle ? (
            <h3 className={styles.title} title={model.title}>
              {model.title}
            </h3>
          ) : (
            <span className={styles.title} />
          )}
          {parts.showState && state && (
            <span
              className={styles.badge}
              style={{ background: state.color, color: theme.colors.getContrastText(state.color) }}
              data-testid="runboard-card-state"
              title={`Threshold state: ${state.label}`}
            >
              <IconSet icons={LEVEL_ICONS} active={state.level} size="xs" />
              {state.label}
            </span>
          )}
        </div>
      )}
      <div className={styles.value} style={{ fontSize: layout.metrics.valueFontSize, color: valueColor }} data-testid="runboard-card-value" aria-label={valueLabel}>
        {model.hasValue ? (
          <>
            {display.prefix && <span className={styles.unit}>{display.prefix}</span>}
            <span>{display.text}</span>
            {display.suffix && <span className={styles.unit}>{display.suffix}</span>}
          </>
        ) : (
          <span className={styles.noValue}>{display.text || 'No value'}</span>
        )}
      </div>
      {parts.showDelta && (
        <div className={styles.delta} data-testid="runboard-card-delta" data-direction={delta?.direction} data-verdict={delta?.verdict}>
          {delta ? (
            <span
              className={styles[delta.verdict]}
              title={VERDICT_WORDS[delta.verdict] ? `${delta.direction === 'up' ? 'Up' : 'Down'}: ${VERDICT_WORDS[delta.verdict]}` : undefined}
            >
              <IconSet icons={ARROWS} active={delta.direction} size="sm" />
              <span className={styles.srOnly}>{delta.direction === 'flat' ? 'unchanged' : delta.direction}</span> {delta.text}
              {delta.percentText && ` (${delta.percentText})`}
              {VERDICT_WORDS[delta.verdict] && <span className={styles.srOnly}>, {VERDICT_WORDS[delta.verdict]}</span>}
            </span>
          ) : (
            model.deltaMissing && <span className={styles.muted}>{model.deltaMissing}</span>
          )}
          {delta && <span className={styles.muted}>vs {delta.lookbackLabel} ago</span>}
        </div>
      )}
      {parts.showSparkline && (
        <div className={styles.sparkline} style={{ height: layout.metrics.sparklineHeight }} data-testid="runboard-card-sparkline">
          {model.sparkline && layout.sparklineWidth > 0 && (
            <Sparkline
              width={layout.sparklineWidth}
              height={layout.metrics.sparklineHeight}
              sparkline={model.sparkline}
              theme={theme}
              config={{ color: { mode: FieldColorModeId.Fixed, fixedColor: accent }, custom: { fillOpacity: 12, lineWidth: 1 } }}
            />
          )}
        </div>
      )}
      {parts.showLinks && (
        <div className={styles.links}>
          {model.links.map((link, i) => (
            <a key={`${link.href}-${i}`} href={link.href} target={link.target} title={link.title} onClick={link.onClick}>
              <Icon name="external-link-alt" size="xs" aria-hidden /> {link.title || 'Link'}
            </a>
          ))}
        </div>
      )}
    </article>
  );
});

/**
 * Every icon of a set stays mounted and only the active one shows: Grafana's Icon loads its SVG
 * asynchronously, so switching one icon's name on a live update would briefly show the old icon
 * (or none) next to the new text.
 */
function IconSet<K extends string>({ icons, active, size }: { icons: Record<K, IconName>; active: K; size: 'xs' | 'sm' }) {
  return (
    <>
      {(Object.keys(icons) as K[]).map((k) => (
        <Icon key={k} name={icons[k]} size={size} aria-hidden style={k === active ? undefined : { display: 'none' }} data-icon-active={k === active ? 'true' : undefined} />
      ))}
    </>
  );
}
