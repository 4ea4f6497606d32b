/**
 * Datasource settings: the exporter URL (Grafana proxies every request to it) and the API
 * token, kept in secureJsonData: Grafana stores it encrypted, adds it in the proxy (plugin.json
 * routes) and only tells the browser whether it is set.
 */
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { InlineField, Input, SecretInput, Stack } from '@grafana/ui';
import type { ChangeEvent } from 'react';
import type { RunboardOptions, RunboardSecureOptions } from '../types';

export type ConfigEditorProps = DataSourcePluginOptionsEditorProps<RunboardOptions, RunboardSecureOptions>;

const LABEL_WIDTH = 16;

export function ConfigEditor({ options, onOptionsChange }: ConfigEditorProps) {
  const onUrlChange = (event: ChangeEvent<HTMLInputElement>) => {
    const url = event.currentTarget.value.trim();
    // Proxy access: the token is only ever added by Grafana's server.
    onOptionsChange({ ...options, url, access: 'proxy', jsonData: { ...options.jsonData, exporterUrl: url } });
  };
  const onTokenChange = (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, secureJsonData: { ...options.secureJsonData, apiToken: event.currentTarget.value } });
  };
  const onTokenReset = () => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...options.secureJsonFields, apiToken: false },
      secureJsonData: { ...options.secureJsonData, apiToken: '' },
    });
  };
  const secure = (options.secureJsonData ?? {}) as RunboardSecureOptions;

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Exporter URL" labelWidth={LABEL_WIDTH} tooltip="Where Grafana's server reaches the Runboard exporter, e.g. http://runboard-exporter:9477" required>
        <Input id="runboard-url" width={48} value={options.url ?? ''} placeholder="http://localhost:9477" onChange={onUrlChange} />
      </InlineField>
      <InlineField
        label="API token"
        labelWidth={LABEL_WIDTH}
        tooltip="The exporter's RUNBOARD_API_TOKEN (or the api-token file in its data dir). Stored encrypted; never sent to browsers."
        required
      >
        <SecretInput
          id="runboard-token"
          width={48}
          isConfigured={Boolean(options.secureJsonFields?.apiToken)}
          value={secure.apiToken ?? ''}
          placeholder="API token"
          onChange={onTokenChange}
          onReset={onTokenReset}
        />
      </InlineField>
    </Stack>
  );
}
