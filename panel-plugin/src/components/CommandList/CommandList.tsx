import { cx } from '@emotion/css';
import { Icon, useStyles2 } from '@grafana/ui';
import type { CommandInfo } from '@runboard/protocol';
import { getStyles } from './CommandList.styles';

interface Props {
  commands: CommandInfo[];
  selectedId?: string;
  onSelect: (id: string) => void;
}

/** The exporter's allow-listed commands, title and description; one is chosen for the form. */
export function CommandList({ commands, selectedId, onSelect }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <ul className={styles.list} aria-label="Commands">
      {commands.map((c) => (
        <li key={c.id}>
          <button type="button" className={cx(styles.item, c.id === selectedId && styles.selected)} aria-pressed={c.id === selectedId} onClick={() => onSelect(c.id)}>
            <span className={styles.title}>
              {c.title}
              {c.confirm && <Icon name="exclamation-triangle" size="xs" title="Asks for confirmation before running" />}
            </span>
            {c.description && <span className={styles.description}>{c.description}</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}
