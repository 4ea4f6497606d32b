/** Command runs: a table of runs (newest first) filtered by command and outcome; also the annotation query. */
import type { SelectableValue } from '@grafana/data';
import { InlineField, Input, Select, Stack } from '@grafana/ui';
import { useEffect, useMemo, useState } from 'react';
import type { CommandInfo } from '@runboard/protocol';
import { DEFAULT_RUNS, MAX_RUNS, RUN_OUTCOMES } from '../constants';
import { messageOf } from '../errors';
import { LABEL_WIDTH, type EditorProps } from './editorProps';

const outcomeOptions: Array<SelectableValue<string>> = Object.entries(RUN_OUTCOMES).map(([value, label]) => ({ value, label }));

/** The option for a value that is not in the list (a `$variable` or a typed value). */
function pick(options: Array<SelectableValue<string>>, value: string | undefined): SelectableValue<string> | null {
  if (!value) return null;
  return options.find((o) => o.value === value) ?? { label: value, value };
}

export function RunsQueryEditor({ datasource, query, onChange, onRunQuery }: EditorProps) {
  const [commands, setCommands] = useState<CommandInfo[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let current = true;
    datasource.listCommands().then(
      (c) => current && setCommands(c),
      (err: unknown) => current && setError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [datasource]);

  const variables = useMemo(() => datasource.getVariableOptions(), [datasource]);
  const commandOptions = useMemo(() => [...variables, ...(commands ?? []).map((c) => ({ label: c.title || c.id, value: c.id, description: c.id }))], [variables, commands]);
  const outcomes = useMemo(() => [...variables, ...outcomeOptions], [variables]);
  const set = (patch: Partial<typeof query>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };

  return (
    <Stack direction="row" gap={0} wrap="wrap">
      <InlineField label="Command" labelWidth={LABEL_WIDTH} tooltip="Only runs of this command (empty: all commands)">
        <Select<string>
          inputId={`runboard-runs-command-${query.refId}`}
          aria-label="Command"
          width={32}
          options={commandOptions}
          value={pick(commandOptions, query.command)}
          isLoading={commands === undefined && error === undefined}
          placeholder={error ? `Commands unavailable: ${error}` : 'All commands'}
          allowCustomValue
          isClearable
          onChange={(v) => set({ command: v?.value ?? '' })}
        />
      </InlineField>
      <InlineField label="Outcome" labelWidth={10} tooltip="Only finished runs with this outcome (empty: any, including running)">
        <Select<string>
          inputId={`runboard-runs-outcome-${query.refId}`}
          aria-label="Outcome"
          width={20}
          options={outcomes}
          value={pick(outcomes, query.outcome)}
          placeholder="Any"
          allowCustomValue
          isClearable
          onChange={(v) => set({ outcome: v?.value ?? '' })}
        />
      </InlineField>
      <InlineField label="Limit" labelWidth={8} tooltip={`Newest runs to show (1-${MAX_RUNS})`}>
        <Input
          aria-label="Limit"
          type="number"
          width={10}
          min={1}
          max={MAX_RUNS}
          value={query.limit ?? ''}
          placeholder={String(DEFAULT_RUNS)}
          onChange={(e) => {
            const n = Math.round(Number(e.currentTarget.value));
            onChange({ ...query, limit: e.currentTarget.value === '' || !Number.isFinite(n) ? undefined : Math.min(MAX_RUNS, Math.max(1, n)) });
          }}
          onBlur={onRunQuery}
        />
      </InlineField>
    </Stack>
  );
}
