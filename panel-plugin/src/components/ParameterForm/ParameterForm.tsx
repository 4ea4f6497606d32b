import { useId } from 'react';
import { Field, Input, Select, Switch, useStyles2 } from '@grafana/ui';
import type { CommandInfo, ParameterInfo } from '@runboard/protocol';
import { parameterHint, type FieldErrors, type FormValue, type FormValues } from '../../utils/parameters';
import { getStyles } from './ParameterForm.styles';

interface Props {
  command: CommandInfo;
  values: FormValues;
  errors: FieldErrors;
  onChange: (name: string, value: FormValue) => void;
  disabled?: boolean;
}

/** A form generated from the command's parameter schema: one input per parameter, by type. */
export function ParameterForm({ command, values, errors, onChange, disabled }: Props) {
  const styles = useStyles2(getStyles);
  const idPrefix = useId();
  const entries = Object.entries(command.parameters);
  if (entries.length === 0) {
    return <p className={styles.none}>This command takes no parameters.</p>;
  }
  return (
    <div className={styles.form} data-testid="runboard-parameter-form">
      {entries.map(([name, p]) => {
        const id = `${idPrefix}-${name}`;
        const description = [p.help, parameterHint(p)].filter(Boolean).join(' · ');
        return (
          <Field
            key={name}
            label={p.title ?? name}
            description={description || undefined}
            invalid={Boolean(errors[name])}
            error={errors[name]}
            htmlFor={id}
            disabled={disabled}
            data-testid={`runboard-parameter-${name}`}
          >
            <ParameterInput id={id} name={name} p={p} value={values[name]} onChange={onChange} invalid={Boolean(errors[name])} />
          </Field>
        );
      })}
    </div>
  );
}

interface InputProps {
  id: string;
  name: string;
  p: ParameterInfo;
  value: FormValue | undefined;
  invalid: boolean;
  onChange: (name: string, value: FormValue) => void;
}

function ParameterInput({ id, name, p, value, invalid, onChange }: InputProps) {
  const placeholder = p.default !== undefined ? `default: ${String(p.default)}` : undefined;
  switch (p.type) {
    case 'string':
      return (
        <Input
          id={id}
          name={name}
          value={typeof value === 'string' ? value : ''}
          placeholder={placeholder}
          // The pattern is shown, not enforced by the browser: the form reports it in the server's words.
          title={p.pattern !== undefined ? `Must match ${p.pattern}` : undefined}
          invalid={invalid}
          aria-invalid={invalid}
          onChange={(e) => onChange(name, e.currentTarget.value)}
        />
      );
    case 'path':
      return (
        <Input
          id={id}
          name={name}
          value={typeof value === 'string' ? value : ''}
          placeholder={placeholder ?? `relative to ${p.root}`}
          title={`A path inside ${p.root}`}
          invalid={invalid}
          aria-invalid={invalid}
          onChange={(e) => onChange(name, e.currentTarget.value)}
        />
      );
    case 'integer':
      return (
        <Input
          id={id}
          name={name}
          type="number"
          step={1}
          min={p.min ?? 0}
          max={p.max}
          value={typeof value === 'string' ? value : ''}
          placeholder={placeholder}
          invalid={invalid}
          aria-invalid={invalid}
          onChange={(e) => onChange(name, e.currentTarget.value)}
        />
      );
    case 'enum':
      return (
        <Select
          inputId={id}
          options={p.values.map((v) => ({ label: v, value: v }))}
          value={typeof value === 'string' && value !== '' ? value : null}
          placeholder={placeholder ?? 'Choose a value'}
          isClearable={p.default === undefined}
          invalid={invalid}
          onChange={(v) => onChange(name, v?.value ?? '')}
        />
      );
    case 'boolean':
      return <Switch id={id} name={name} value={value === true} onChange={(e) => onChange(name, e.currentTarget.checked)} />;
  }
}
