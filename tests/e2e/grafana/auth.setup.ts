/** Logs in to the real Grafana once (plugin-e2e stores the session in playwright/.auth/admin.json). */
import { test as setup } from '@grafana/plugin-e2e';
import { GRAFANA_URL, SKIP_REASON } from './env';

setup('authenticate', async ({ login }) => {
  setup.skip(!GRAFANA_URL, SKIP_REASON);
  await login();
});
