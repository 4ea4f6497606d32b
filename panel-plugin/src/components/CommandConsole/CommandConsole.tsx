import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { TimeZone } from '@grafana/data';
import { ConfirmModal, Icon, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import type { CommandInfo, ParameterValue, RunboardConsoleApi, RunInfo, Template } from '@runboard/protocol';
import { describeError } from '../../utils/errors';
import { initialFormValues, resolveFormValues, serverFieldError, type FieldErrors, type FormValue, type FormValues } from '../../utils/parameters';
import type { RunPermission } from '../../utils/permissions';
import { CommandList } from '../CommandList/CommandList';
import { GuardedButton } from '../GuardedButton/GuardedButton';
import { PanelMessage } from '../PanelMessage/PanelMessage';
import { ParameterForm } from '../ParameterForm/ParameterForm';
import { RunHistory } from '../RunHistory/RunHistory';
import { RunView } from '../RunView/RunView';
import { TemplateBar } from '../TemplateBar/TemplateBar';
import { getStyles } from './CommandConsole.styles';

export interface CommandConsoleProps {
  api: RunboardConsoleApi;
  permission: RunPermission;
  historyPageSize?: number;
  showHistory?: boolean;
  showTemplates?: boolean;
  timeZone?: TimeZone;
  /** Panel width: two columns from TWO_COLUMNS_MIN_WIDTH up. */
  width?: number;
}

export const TWO_COLUMNS_MIN_WIDTH = 720;

interface PendingRun {
  command: CommandInfo;
  parameters: Record<string, ParameterValue>;
}

/**
 * The console view: commands, the generated form, templates, the current run and the history.
 * It only knows the RunboardConsoleApi, never how the datasource reaches the exporter.
 */
export function CommandConsole({ api, permission, historyPageSize = 10, showHistory = true, showTemplates = true, timeZone, width = 1000 }: CommandConsoleProps) {
  const styles = useStyles2(getStyles);
  const [commands, setCommands] = useState<CommandInfo[]>();
  const [loadError, setLoadError] = useState<string>();
  const [selectedId, setSelectedId] = useState<string>();
  const [values, setValues] = useState<FormValues>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string>();
  const [pending, setPending] = useState<PendingRun | null>(null);
  const [starting, setStarting] = useState(false);
  const [shown, setShown] = useState<{ id: string; seed?: RunInfo } | null>(null);
  const [historyKey, setHistoryKey] = useState(0);

  const selectCommand = useCallback((command: CommandInfo | undefined, from?: Record<string, ParameterValue>) => {
    setSelectedId(command?.id);
    setValues(command ? initialFormValues(command, from) : {});
    setErrors({});
    setFormError(undefined);
  }, []);

  // The selection as of the last render, for the commands loader (which must not depend on it).
  const selectedRef = useRef<string | undefined>(undefined);
  // eslint-disable-next-line react-hooks/refs -- the latest selection, read only in the loader's callbacks
  selectedRef.current = selectedId;

  const loadCommands = useCallback(() => {
    setLoadError(undefined);
    api.listCommands().then(
      (list) => {
        setCommands(list);
        if (!list.some((c) => c.id === selectedRef.current)) {
          selectCommand(list[0]);
        }
      },
      (err) => setLoadError(describeError(err).message),
    );
  }, [api, selectCommand]);

  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- a new datasource: drop the old list before loading its commands
    setCommands(undefined);
    setShown(null);
    loadCommands();
  }, [loadCommands]);

  const byId = useMemo(() => new Map((commands ?? []).map((c) => [c.id, c])), [commands]);
  const command = selectedId ? byId.get(selectedId) : undefined;
  const commandTitle = useCallback((id: string) => byId.get(id)?.title ?? id, [byId]);

  const onChange = (name: string, value: FormValue) => {
    const next = { ...values, [name]: value };
    setValues(next);
    // Once a field shows an error, it is re-checked as the user types so the error goes when fixed.
    if (command && errors[name]) {
      const reason = resolveFormValues(command, next).errors[name];
      setErrors(({ [name]: _, ...rest }) => (reason ? { ...rest, [name]: reason } : rest));
    }
  };

  /** The form's parameters when valid; shows the errors otherwise. */
  const validParameters = (): Record<string, ParameterValue> | undefined => {
    if (!command) {
      return undefined;
    }
    const resolved = resolveFormValues(command, values);
    setErrors(resolved.errors);
    return Object.keys(resolved.errors).length === 0 ? resolved.parameters : undefined;
  };

  const start = async ({ command: cmd, parameters }: PendingRun) => {
    setPending(null);
    setStarting(true);
    setFormError(undefined);
    try {
      const run = await api.startRun(cmd.id, parameters);
      setShown({ id: run.id, seed: run });
      setHistoryKey((n) => n + 1);
    } catch (err) {
      const info = describeError(err);
      const onField = serverFieldError(cmd, info.field, info.message);
      if (onField && cmd.id === selectedId) {
        setErrors((e) => ({ ...e, [onField.name]: onField.reason }));
      } else {
        setFormError(info.message);
      }
    } finally {
      setStarting(false);
    }
  };

  const requestRun = (cmd: CommandInfo, parameters: Record<string, ParameterValue>) => {
    if (!permission.allowed) {
      return;
    }
    if (cmd.confirm) {
      setPending({ command: cmd, parameters });
    } else {
      void start({ command: cmd, parameters });
    }
  };

  const submit = (e?: React.FormEvent) => {
    e?.preventDefault();
    // Enter in a field submits too; a viewer's Run button is only aria-disabled.
    if (!permission.allowed) {
      return;
    }
    const parameters = validParameters();
    if (command && parameters) {
      requestRun(command, parameters);
    }
  };

  const rerun = (run: RunInfo) => {
    const cmd = byId.get(run.command);
    if (!cmd) {
      setFormError(`The command "${run.command}" is no longer declared by the exporter.`);
      return;
    }
    selectCommand(cmd, run.parameters);
    const resolved = resolveFormValues(cmd, initialFormValues(cmd, run.parameters));
    if (Object.keys(resolved.errors).length > 0) {
      // The command's parameters changed since: show what no longer fits instead of running.
      setErrors(resolved.errors);
      return;
    }
    requestRun(cmd, run.parameters);
  };

  const onRunEnded = useCallback(() => setHistoryKey((n) => n + 1), []);

  if (loadError) {
    return (
      <PanelMessage kind="error" title="Cannot load the commands" detail={loadError}>
        <GuardedButton permission={{ allowed: true }} size="sm" variant="secondary" icon="sync" onClick={loadCommands}>
          Retry
        </GuardedButton>
      </PanelMessage>
    );
  }
  if (!commands) {
    return <LoadingPlaceholder text="Loading commands…" />;
  }

  const twoColumns = width >= TWO_COLUMNS_MIN_WIDTH;
  return (
    <div className={styles.root} data-testid="runboard-console">
      {!permission.allowed && (
        <div className={styles.readOnly} role="note">
          <Icon name="lock" aria-hidden />
          Read-only: {permission.reason}
        </div>
      )}
      <div className={styles.main} style={{ gridTemplateColumns: twoColumns ? 'minmax(260px, 2fr) 3fr' : 'minmax(0, 1fr)' }}>
        <div className={styles.column}>
          <h4 className={styles.sectionTitle}>Commands</h4>
          {commands.length === 0 ? (
            <div className={styles.placeholder}>The exporter declares no commands. Add some to its config file.</div>
          ) : (
            <CommandList commands={commands} selectedId={selectedId} onSelect={(id) => selectCommand(byId.get(id))} />
          )}
          {command && (
            <>
              <h4 className={styles.sectionTitle}>{command.title}</h4>
              {/* Outside the form: Enter in the template name must save it, not start a run. */}
              {showTemplates && (
                <TemplateBar api={api} command={command} permission={permission} getParameters={validParameters} onLoad={(t: Template) => selectCommand(command, t.parameters)} />
              )}
              <form onSubmit={submit} noValidate aria-label={`Run ${command.title}`}>
                <ParameterForm command={command} values={values} errors={errors} onChange={onChange} />
                <div className={styles.actions}>
                  <GuardedButton permission={permission} type="submit" icon="play" disabled={starting}>
                    {starting ? 'Starting…' : 'Run'}
                  </GuardedButton>
                </div>
                {formError && (
                  <div className={styles.formError} role="alert">
                    {formError}
                  </div>
                )}
              </form>
            </>
          )}
        </div>
        <div className={styles.column}>
          {shown ? (
            <RunView key={shown.id} api={api} runId={shown.id} seed={shown.seed} commandTitle={commandTitle} permission={permission} onRerun={rerun} onEnded={onRunEnded} />
          ) : (
            <div className={styles.placeholder}>Run a command, or choose a run in the history to see its output.</div>
          )}
        </div>
      </div>
      {showHistory && (
        <RunHistory
          api={api}
          pageSize={historyPageSize}
          reloadKey={historyKey}
          selectedRunId={shown?.id}
          onSelect={(run) => setShown({ id: run.id, seed: run })}
          commandTitle={commandTitle}
          timeZone={timeZone}
        />
      )}
      <ConfirmModal
        isOpen={pending !== null}
        title={pending ? `Run ${pending.command.title}?` : 'Run?'}
        body={
          pending ? (
            <div>
              <p>{pending.command.description || 'This command asks for confirmation before it runs.'}</p>
              {Object.keys(pending.parameters).length > 0 && (
                <ul className={styles.confirmList} aria-label="Parameters">
                  {Object.entries(pending.parameters).map(([k, v]) => (
                    <li key={k}>
                      {k} = {JSON.stringify(v)}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ) : null
        }
        confirmText="Run"
        confirmVariant="primary"
        onConfirm={() => {
          if (pending) {
            void start(pending);
          }
        }}
        onDismiss={() => setPending(null)}
      />
    </div>
  );
}
