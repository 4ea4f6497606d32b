/** Finding a command or a template by what the user typed (an id, or a template's name). */
import type { CommandInfo, CommandsResponse, Template } from '@runboard/protocol';
import { EXIT_API_ERROR, EXIT_USAGE, type ExporterClient } from './connection';
import { CliError } from './errors';

/** The command's schema from GET /commands; an unknown id is a usage error listing the known ones. */
export async function findCommand(client: ExporterClient, id: string): Promise<CommandInfo> {
  const { commands } = await client.get<CommandsResponse>('/commands');
  const command = commands.find((c) => c.id === id);
  if (!command) {
    const known = commands.map((c) => c.id);
    throw new CliError(`no command "${id}" on the exporter (${known.length > 0 ? `it has ${known.join(', ')}` : 'it has none'})`, EXIT_USAGE);
  }
  return command;
}

/**
 * A template by id or by name (names are unique per command). `what` is the flag (`--template`)
 * or argument it came from: not finding it is a usage error for a flag, else a "not found" (4).
 */
export async function findTemplate(client: ExporterClient, ref: string, command: string | undefined, what: string): Promise<Template> {
  const { templates } = await client.get<{ templates: Template[] }>('/templates', { command });
  const byId = templates.find((t) => t.id === ref);
  if (byId) return byId;
  const byName = templates.filter((t) => t.name === ref);
  if (byName.length === 1) return byName[0];
  const isFlag = what.startsWith('--');
  const prefix = isFlag ? `${what}: ` : '';
  if (byName.length > 1) {
    throw new CliError(`${prefix}several templates are named "${ref}" (for ${byName.map((t) => t.command).join(', ')}): add --command, or give the id`, EXIT_USAGE);
  }
  const names = templates.map((t) => t.name);
  const scope = command !== undefined ? ` for command "${command}"` : '';
  throw new CliError(`${prefix}no template "${ref}"${scope}${names.length > 0 ? ` (there are ${names.join(', ')})` : ''}`, isFlag ? EXIT_USAGE : EXIT_API_ERROR);
}
