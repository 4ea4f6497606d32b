/**
 * `runboard-exporter run <command> [--param k=v]... [--template t] [--detach]`: start an
 * allow-listed command on a running exporter and follow its output in the terminal. The exit code
 * is the run's: its own exit code, 124 on timeout, 130 when cancelled, 1 for a failure without one.
 * Ctrl-C once cancels the run (and keeps following until it has ended); twice exits at once.
 */
import os from 'node:os';
import type { Command } from 'commander';
import type { ParameterValue, RunInfo } from '@runboard/protocol';
import { badInputIsUsage, isStatus } from './api';
import { findCommand, findTemplate } from './lookup';
import { addConnectionOptions, ExporterClient, resolveConnection, type ConnectionFlags } from './connection';
import { exitCodeOf, followRun } from './follow';
import { collectParam, convertParams, type RawParam } from './params';
import { print } from './table';

interface RunFlags extends ConnectionFlags {
  param?: RawParam[];
  template?: string;
  startedBy?: string;
  detach?: boolean;
  json?: boolean;
}

export function registerRun(program: Command): void {
  addConnectionOptions(
    program
      .command('run')
      .description("start an allow-listed command on the exporter and follow its output; exits with the run's exit code")
      .argument('<command>', 'command id (see `runboard-exporter commands`)')
      .option('-p, --param <name=value>', 'a parameter value, repeatable (overrides the template)', collectParam)
      .option('-t, --template <name-or-id>', "start from a saved template's parameters")
      .option('--started-by <who>', 'who or what starts the run, as recorded (default: your user name)')
      .option('-d, --detach', 'print the run id and exit without following')
      .option('--json', 'with --detach the run as JSON; else every output event as one JSON line')
      .addHelpText(
        'after',
        "\nExit codes: the run's exit code; 124 timeout; 130 cancelled (or Ctrl-C twice); 1 failure without an exit code;\n" +
          '2 bad arguments or parameters; 3 exporter unreachable; 4 exporter error (e.g. queue full).\n' +
          'Ctrl-C once cancels the run and waits for it to end; Ctrl-C again stops waiting.',
      ),
  ).action(async (commandId: string, flags: RunFlags) => {
    const conn = resolveConnection(flags);
    const client = new ExporterClient(conn);
    const command = await findCommand(client, commandId);
    let parameters: Record<string, ParameterValue> = {};
    if (flags.template !== undefined) {
      const t = await findTemplate(client, flags.template, command.id, '--template');
      parameters = { ...t.parameters };
    }
    parameters = { ...parameters, ...convertParams(command, flags.param) };
    const startedBy = flags.startedBy ?? defaultStartedBy();
    const run = await badInputIsUsage(() => client.post<RunInfo>(`/commands/${encodeURIComponent(command.id)}/runs`, { parameters, ...(startedBy ? { startedBy } : {}) }));

    if (flags.detach) return print(flags.json ? JSON.stringify(run, null, 2) : run.id);

    const final = await followRun(conn, run.id, {
      json: flags.json,
      onInterrupt: async () => {
        try {
          await client.post<RunInfo>(`/runs/${encodeURIComponent(run.id)}/cancel`, {});
        } catch (err) {
          if (!isStatus(err, 409)) throw err; // 409: it has just finished on its own
        }
      },
    });
    process.exitCode = exitCodeOf(final);
  });
}

function defaultStartedBy(): string | undefined {
  try {
    const name = os.userInfo().username;
    return name ? name.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
