import { useCallback, useEffect, useId, useState } from 'react';
import { ConfirmModal, Input, Select, useStyles2 } from '@grafana/ui';
import type { CommandInfo, ParameterValue, RunboardConsoleApi, Template } from '@runboard/protocol';
import { describeError } from '../../utils/errors';
import type { RunPermission } from '../../utils/permissions';
import { GuardedButton } from '../GuardedButton/GuardedButton';
import { getStyles } from './TemplateBar.styles';

interface Props {
  api: RunboardConsoleApi;
  command: CommandInfo;
  permission: RunPermission;
  /** The form's parameters when valid; undefined after the form showed its errors. */
  getParameters: () => Record<string, ParameterValue> | undefined;
  onLoad: (template: Template) => void;
}

/** Named parameter sets of one command: load into the form, save the form's values, delete. */
export function TemplateBar({ api, command, permission, getParameters, onLoad }: Props) {
  const styles = useStyles2(getStyles);
  const nameId = useId();
  const selectId = useId();
  const [templates, setTemplates] = useState<Template[]>([]);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const [confirmDelete, setConfirmDelete] = useState(false);

  const reload = useCallback(() => {
    return api.listTemplates(command.id).then(
      (list) => setTemplates(list.filter((t) => t.command === command.id)),
      (err) => setError(`Cannot load templates: ${describeError(err).message}`),
    );
  }, [api, command.id]);

  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- another command: clear the form before loading its templates
    setSelectedId(null);
    setName('');
    setError(undefined);
    setNote(undefined);
    reload();
  }, [reload]);

  const selected = templates.find((t) => t.id === selectedId);

  const load = (id: string | null) => {
    setSelectedId(id);
    const t = templates.find((x) => x.id === id);
    if (t) {
      setName(t.name);
      setNote(undefined);
      onLoad(t);
    }
  };

  const save = async () => {
    setError(undefined);
    setNote(undefined);
    const trimmed = name.trim();
    if (!trimmed) {
      setError('Give the template a name.');
      return;
    }
    const parameters = getParameters();
    if (!parameters) {
      setError('Fix the form before saving it as a template.');
      return;
    }
    // Saving under an existing name replaces that template rather than adding a twin.
    const existing = templates.find((t) => t.name === trimmed);
    setBusy(true);
    try {
      const saved = await api.saveTemplate({ command: command.id, name: trimmed, parameters, ...(existing ? { id: existing.id } : {}) });
      await reload();
      setSelectedId(saved.id);
      setNote(existing ? `Updated "${saved.name}".` : `Saved "${saved.name}".`);
    } catch (err) {
      setError(`Cannot save: ${describeError(err).message}`);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setConfirmDelete(false);
    if (!selected) {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api.deleteTemplate(selected.id);
      setSelectedId(null);
      setName('');
      setNote(`Deleted "${selected.name}".`);
      await reload();
    } catch (err) {
      setError(`Cannot delete: ${describeError(err).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className={styles.root} data-testid="runboard-templates">
      <div className={styles.row}>
        <label className={styles.label} htmlFor={selectId}>
          Template
        </label>
        <div className={styles.grow}>
          <Select
            inputId={selectId}
            options={templates.map((t) => ({ label: t.name, value: t.id }))}
            value={selectedId}
            placeholder={templates.length ? 'Load a saved template' : 'No templates yet'}
            isClearable
            onChange={(v) => load(v?.value ?? null)}
          />
        </div>
        <GuardedButton
          permission={permission}
          variant="destructive"
          fill="outline"
          size="sm"
          icon="trash-alt"
          disabled={!selected || busy}
          onClick={() => setConfirmDelete(true)}
          aria-label="Delete template"
        >
          Delete
        </GuardedButton>
      </div>
      <div className={styles.row}>
        <div className={styles.grow}>
          <Input
            id={nameId}
            aria-label="Template name"
            placeholder="Template name"
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && permission.allowed && !busy) {
                e.preventDefault();
                void save();
              }
            }}
          />
        </div>
        <GuardedButton permission={permission} variant="secondary" size="sm" icon="save" disabled={busy} onClick={save}>
          Save template
        </GuardedButton>
      </div>
      {error && (
        <div className={styles.error} role="alert">
          {error}
        </div>
      )}
      {note && (
        <div className={styles.note} role="status">
          {note}
        </div>
      )}
      <ConfirmModal
        isOpen={confirmDelete}
        title="Delete template"
        body={`Delete the template "${selected?.name ?? ''}" of ${command.title}?`}
        confirmText="Delete"
        onConfirm={remove}
        onDismiss={() => setConfirmDelete(false)}
      />
    </div>
  );
}
