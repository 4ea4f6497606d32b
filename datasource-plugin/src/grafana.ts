/**
 * What Grafana's backendSrv adds to a request that the browser's own fetch() does not, for the
 * event streams (stream.ts), which cannot go through backendSrv:
 * - the sub-path: `instanceSettings.url` is `/api/datasources/proxy/uid/<uid>`, root-relative.
 *   backendSrv resolves it against the page's `<base href>` (`config.appSubUrl`), a raw fetch
 *   against the origin, so under `root_url = …/grafana/` with `serve_from_sub_path` the stream
 *   would ask `/api/…` instead of `/grafana/api/…`;
 * - `X-Grafana-Org-Id`: the organisation the page shows, so the proxy answers for that org.
 */
import { config } from '@grafana/runtime';

/** Where the streams of a datasource go: the proxy URL under Grafana's sub-path, and the headers. */
export interface StreamTarget {
  baseUrl: string;
  headers: Record<string, string>;
}

/** `url` as the browser must fetch it: root-relative paths get `appSubUrl` in front (once). */
export function appUrl(url: string, appSubUrl: string = config.appSubUrl ?? ''): string {
  const prefix = appSubUrl.replace(/\/+$/, '');
  if (!prefix || !url.startsWith('/') || url.startsWith('//') || url === prefix || url.startsWith(`${prefix}/`)) {
    return url;
  }
  return `${prefix}${url}`;
}

/** The one place stream URLs and headers are built (an org switch reloads the page, so once per instance is enough). */
export function streamTarget(proxyUrl: string): StreamTarget {
  const orgId = config.bootData?.user?.orgId;
  return { baseUrl: appUrl(proxyUrl), headers: orgId ? { 'X-Grafana-Org-Id': String(orgId) } : {} };
}
