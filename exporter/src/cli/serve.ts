import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { CommandConfigError } from '../commands/parameters';
import { startDemo, type Demo } from '../demo';
import { Exporter } from '../exporter';
import { VERSION } from '../version';
import { CliError } from './errors';
import { parseNumberOption, parsePortOption } from './options';

interface ServeFlags {
  host?: string;
  port?: number;
  interval?: number;
  config?: string;
  dataDir?: string;
  demo?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('start the exporter (the default command)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1, env RUNBOARD_HOST)')
    .option('--port <port>', 'port to listen on (default 9477, env RUNBOARD_PORT)', parsePortOption)
    .option('--interval <seconds>', 'sample interval in seconds (default 1, env RUNBOARD_INTERVAL)', parseNumberOption('--interval'))
    .option('--config <file>', 'YAML or JSON config file (env RUNBOARD_CONFIG)')
    .option('--data-dir <dir>', 'where the API token and ledger live (env RUNBOARD_DATA_DIR)')
    .option('--demo', 'run a built-in demo workload so dashboards have life (env RUNBOARD_DEMO)')
    // serve is the default command, so commander hands it any word that names no command: say
    // so, rather than commander's "too many arguments for 'serve'".
    .allowExcessArguments(true)
    .action(async (flags: ServeFlags, cmd: Command) => {
      if (cmd.args.length > 0) throw new CliError(`unknown command "${cmd.args[0]}" (see runboard-exporter --help)`, 2);
      await serve(flags);
    });
}

async function serve(flags: ServeFlags): Promise<void> {
  let config;
  try {
    config = loadConfig({
      file: flags.config,
      overrides: {
        host: flags.host,
        port: flags.port,
        'sampling.intervalSeconds': flags.interval,
        dataDir: flags.dataDir,
        demo: flags.demo,
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
  // Signal handlers go in before anything starts, so a signal that arrives while the exporter
  // starts (or right after the banner) still ends it cleanly rather than by the default action.
  let exp: Exporter | undefined;
  // Assigned once the exporter has started, but the signal handler below must already see it.
  // eslint-disable-next-line prefer-const
  let demo: Demo | undefined;
  let stopping: string | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = signal;
    if (!exp) return; // still starting: stopped as soon as the start completes
    exp.log.info(`${signal} received: stopping`);
    demo?.stop();
    await exp.stop();
    exp.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    // The process is the exporter's own: it may bound its heap (heap-bound.ts).
    exp = await Exporter.start(config, { boundHeap: true });
  } catch (err) {
    // A bad command declaration is a config error (2); anything else failed the start (1). Either
    // way one line, naming the file and the setting where there is one (e.g. the data dir's).
    const message = (err instanceof Error ? err.message : String(err)).trim().replace(/\s*\n\s*/g, '; ');
    throw new CliError(message, err instanceof CommandConfigError ? 2 : 1);
  }
  demo = config.demo ? startDemo(exp) : undefined;
  printBanner(exp, demo !== undefined);
  if (stopping) {
    const signal = stopping;
    stopping = undefined;
    await shutdown(signal);
  }
}

function printBanner(exp: Exporter, demo: boolean): void {
  const url = exp.url;
  const lines = [
    `Runboard exporter ${VERSION} listening on ${url}${demo ? ' (demo workload on)' : ''}`,
    `  metrics  ${url}/metrics`,
    `  health   ${url}/api/v1/health`,
    `  series   ${url}/api/v1/series`,
    `  stream   ${url}/api/v1/stream`,
  ];
  if (exp.tokenSource === 'config') lines.push('  API token: as configured (auth.token / RUNBOARD_API_TOKEN)');
  else lines.push(`  API token: ${exp.token}  (${exp.tokenSource === 'generated' ? 'generated, saved to' : 'from'} ${exp.tokenFile})`);
  lines.push(`  try: curl -H "Authorization: Bearer <token>" ${url}/api/v1/latest`);
  process.stdout.write(lines.join('\n') + '\n');
}
