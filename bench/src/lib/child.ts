/** Runs a bench worker (bench/src/workers/*.ts) in its own Node process and talks to it over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REGISTER, WORKERS } from './paths';

export interface Worker {
  child: ChildProcess;
  pid: number;
  /** Sends a message and resolves with the worker's next reply. */
  ask<T = unknown>(msg: unknown, timeoutMs?: number): Promise<T>;
  /** Resolves with the next message the worker sends on its own. */
  next<T = unknown>(timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export function startWorker(name: string, opts: { args?: string[]; execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}): Worker {
  const child = fork(path.join(WORKERS, `${name}.ts`), opts.args ?? [], {
    execArgv: ['-r', REGISTER, ...(opts.execArgv ?? [])],
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: unknown[] = [];
  const waiters: Array<{ resolve: (m: unknown) => void; reject: (e: Error) => void }> = [];
  child.on('message', (m) => {
    const w = waiters.shift();
    if (w) w.resolve(m);
    else queue.push(m);
  });
  child.on('exit', (code, signal) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`worker ${name} exited (${code ?? signal})`));
  });
  const next = <T>(timeoutMs = 600_000) =>
    new Promise<T>((resolve, reject) => {
      if (queue.length > 0) return resolve(queue.shift() as T);
      const timer = setTimeout(() => reject(new Error(`worker ${name}: no reply in ${timeoutMs} ms`)), timeoutMs);
      waiters.push({
        resolve: (m) => {
          clearTimeout(timer);
          const err = (m as { error?: string } | undefined)?.error;
          if (err) reject(new Error(`worker ${name}: ${err}`));
          else resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  return {
    child,
    pid: child.pid!,
    next,
    ask: <T>(msg: unknown, timeoutMs?: number) => {
      child.send(msg as object);
      return next<T>(timeoutMs);
    },
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`; resolves once it has. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Worker side: answer each parent message with the handler's result (or its error). */
export function serveWorker<M>(handler: (msg: M) => Promise<unknown> | unknown): void {
  process.on('message', async (msg) => {
    try {
      process.send!((await handler(msg as M)) ?? { ok: true });
    } catch (err) {
      process.send!({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  process.on('SIGTERM', () => process.exit(0));
}
