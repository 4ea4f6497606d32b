#!/usr/bin/env node
/**
 * `runboard-exporter`: serve (default), query, record, run, commands, runs, templates, costs.
 * Every failure a user can cause ends in one
 * line on stderr and a non-zero exit code; stack traces are for bugs only.
 */
// First: before anything loads zod (zod-english.ts).
import './zod-english';
import { Command, CommanderError } from 'commander';
import { registerServe } from './cli/serve';
import { registerQuery } from './cli/query';
import { registerRecord } from './cli/record';
import { registerRun } from './cli/run';
import { registerCommands } from './cli/commands';
import { CliError } from './cli/errors';
import { VERSION } from './version';

export function buildProgram(): Command {
  const program = new Command('runboard-exporter')
    .description('Runboard exporter: live system, action, event and AI-cost metrics')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // commander prints its own one-line errors; keep them on stderr without the help dump.
      outputError: (str, write) => write(str.trimEnd().split('\n')[0] + '\n'),
    });
  registerServe(program);
  registerQuery(program);
  registerRecord(program);
  registerRun(program);
  registerCommands(program);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander but successes to the user.
      process.exitCode = err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
      return;
    }
    if (err instanceof CliError) {
      process.stderr.write(`runboard-exporter: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`runboard-exporter: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
