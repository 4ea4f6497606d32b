import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from './exporter-process';

export const FIXTURES = path.resolve(__dirname, '../fixtures/commands');

/** A config file declaring test commands that run the fixture scripts (no shell involved). */
export function commandsConfig(extra: object = {}): string {
  const node = process.execPath;
  const config = {
    limits: { concurrentRuns: 2, runQueue: 2, runOutputBytes: 4096 },
    commands: [
      {
        id: 'echo',
        title: 'Echo argv',
        executable: node,
        args: [path.join(FIXTURES, 'print-argv.js'), '--text={text}', '--', '{text}', '{verbose?--verbose}', '{count}'],
        parameters: {
          // print-argv only prints its argv: tests send option-like text to show it stays one literal entry.
          text: { type: 'string', maxLength: 500, default: 'hello', allowLeadingDash: true },
          verbose: { type: 'boolean', default: false },
          count: { type: 'integer', min: 1, max: 10, default: 1 },
          mode: { type: 'enum', values: ['a', 'b'], default: 'a' },
        },
        env: ['PATH'],
      },
      { id: 'slow', title: 'Sleeper', executable: node, args: [path.join(FIXTURES, 'sleeper.js')], maxConcurrent: 1, timeoutSeconds: 60 },
      { id: 'proto', title: 'Protocol lines', executable: node, args: [path.join(FIXTURES, 'protocol.js')] },
      { id: 'fail', title: 'Fails', executable: '/bin/sh', args: [path.join(FIXTURES, 'fail-stderr.sh')] },
      { id: 'flood', title: 'Prints a lot', executable: node, args: [path.join(FIXTURES, 'flood.js'), 'lines', '2000', '40'] },
      { id: 'quick-timeout', title: 'Times out', executable: node, args: [path.join(FIXTURES, 'sleeper.js')], timeoutSeconds: 0.5 },
    ],
    ...extra,
  };
  const file = path.join(tmpDir('runboard-cmd-'), 'runboard.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}
