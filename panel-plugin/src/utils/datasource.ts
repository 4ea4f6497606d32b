import { CONSOLE_API_METHODS, RUNBOARD_DATASOURCE_TYPE, type RunboardConsoleApi } from '../types/runboard';

/**
 * The check before a datasource instance is used by the console: the right plugin type and every
 * method the console calls. A datasource of another type, or an older Runboard datasource without
 * some method, gets a message naming what is missing instead of failing on first click.
 */
export function asConsoleApi(instance: unknown): { api: RunboardConsoleApi } | { error: string } {
  if (!instance || typeof instance !== 'object') {
    return { error: 'No datasource instance' };
  }
  const ds = instance as Record<string, unknown> & { type?: unknown; meta?: { id?: unknown }; name?: unknown };
  const type = typeof ds.type === 'string' ? ds.type : typeof ds.meta?.id === 'string' ? ds.meta.id : undefined;
  const name = typeof ds.name === 'string' ? `"${ds.name}"` : 'The chosen datasource';
  if (type !== RUNBOARD_DATASOURCE_TYPE) {
    return { error: `${name} is of type ${type ?? 'unknown'}; the console needs a ${RUNBOARD_DATASOURCE_TYPE} datasource.` };
  }
  const missing = CONSOLE_API_METHODS.filter((m) => typeof ds[m] !== 'function');
  if (missing.length > 0) {
    return { error: `${name} does not provide ${missing.join(', ')}; update the Runboard datasource plugin.` };
  }
  return { api: instance as RunboardConsoleApi };
}
