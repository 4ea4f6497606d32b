import type { DataSourceRef, StandardEditorProps } from '@grafana/data';
import { DataSourcePicker } from '@grafana/runtime';
import { RUNBOARD_DATASOURCE_TYPE } from '../../constants';

/** Panel option editor: a datasource picker that offers Runboard datasources only. */
export function DatasourceEditor({ value, onChange }: StandardEditorProps<DataSourceRef | null | undefined>) {
  return (
    <DataSourcePicker
      pluginId={RUNBOARD_DATASOURCE_TYPE}
      current={value ?? null}
      noDefault
      placeholder="First Runboard datasource"
      onChange={(ds) => onChange({ uid: ds.uid, type: ds.type })}
      onClear={() => onChange(null)}
    />
  );
}
