/**
 * Small helpers for servers the tests and the benchmark (bench/) start as child processes. Node
 * only, no jest: bench imports this file too.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A loopback port that was free a moment ago (for servers that cannot be told port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The exporter's URL from its `listening on <url>` banner, the sign it is ready (with port 0 the
 * banner is the only place the port appears). `stdout` and `stderr` read what the caller has
 * collected so far; rejects when the exporter exits first or takes longer than `timeoutMs`.
 */
export function waitForListening(child: ChildProcess, stdout: () => string, stderr: () => string, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`exporter did not start in ${timeoutMs / 1000} s; stderr: ${stderr()}`)), timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(stdout());
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exporter exited with ${code}: ${stderr()}`));
    });
  });
}
