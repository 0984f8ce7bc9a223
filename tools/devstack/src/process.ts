import { spawn } from 'node:child_process';
import { openSync, readFileSync, existsSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { DevstackError } from './errors.ts';

/** True when a process with this pid exists (signal 0 probes without killing). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process, '' when unknown (used to tell our JVMs from a reused pid). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Whether nothing listens on `port` of 127.0.0.1 (nor on every address) right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws PORT_TAKEN naming the port and the variable that moves it. */
export async function assertPortFree(port: number, what: string, variable: string): Promise<void> {
  if (!(await isPortFree(port))) throw new DevstackError('DEVSTACK_PORT_TAKEN', `port ${port} (${what}) is taken by another process: stop it or set ${variable}`);
}

/** A port free on 127.0.0.1 right now, picked by the system (a server started soon after takes it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a JVM in its own process group, output to `logFile`; the caller records the pid. */
export function startJava(args: string[], logFile: string, options: { detached: boolean; cwd: string }): number {
  const fd = openSync(logFile, 'a');
  const child = spawn('java', args, { cwd: options.cwd, stdio: ['ignore', fd, fd], detached: options.detached });
  closeSync(fd);
  if (child.pid === undefined) throw new DevstackError('DEVSTACK_EXITED', `java did not start (see ${logFile})`);
  if (options.detached) child.unref();
  return child.pid;
}

/** Sends SIGTERM to a process (group when possible), then SIGKILL after `graceMs`. */
export async function stopProcess(pid: number, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

export function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
