/** Plain one-line logs on stderr; stdout stays for what the user asked for (URLs, query output). */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function consoleLogger(): Logger {
  const line = (level: string, msg: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${msg}\n`);
  return {
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
