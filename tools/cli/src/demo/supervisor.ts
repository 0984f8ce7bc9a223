import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessSpec {
  name: string;
  /** Script path, run with this Node (TypeScript sources run directly). */
  script: string;
  args?: string[];
  env: Record<string, string>;
  /** Health port whose /readyz tells when the process is ready (none: ready when spawned). */
  healthPort?: number;
  readyPath?: string;
}

export interface Supervised {
  spec: ProcessSpec;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * Starts the demo's processes, each with its log in the run folder, and stops them in reverse
 * order with SIGTERM (their drain deadline), then SIGKILL.
 */
export class Supervisor {
  readonly #logDir: string;
  readonly #running: Supervised[] = [];
  #closed = false;

  constructor(logDir: string) {
    this.#logDir = logDir;
    mkdirSync(logDir, { recursive: true });
  }

  get processes(): readonly Supervised[] {
    return this.#running;
  }

  /** Starts a process; refused once stopAll began, so a restart racing a stop leaves no orphan. */
  start(spec: ProcessSpec): Supervised {
    if (this.#closed) throw new Error(`not starting ${spec.name}: the supervisor is stopping`);
    // The log file itself is the child's stdout/stderr: no pipe through the demo that could break.
    const log = openSync(join(this.#logDir, `${spec.name}.log`), 'a');
    const child = spawn(process.execPath, [spec.script, ...(spec.args ?? [])], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...spec.env },
      stdio: ['ignore', log, log],
      // Its own process group: Ctrl-C reaches the demo only, which stops services in order.
      detached: true,
    });
    closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const s = { spec, child, exited };
    this.#running.push(s);
    return s;
  }

  /** Waits until the process answers 200 on /readyz (or exits: then throws with its log name). */
  async ready(s: Supervised, timeoutMs: number): Promise<void> {
    if (s.spec.healthPort === undefined) return;
    const url = `http://127.0.0.1:${s.spec.healthPort}${s.spec.readyPath ?? '/readyz'}`;
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void s.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${s.spec.name} exited during start; see ${join(this.#logDir, `${s.spec.name}.log`)}`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`${s.spec.name} not ready after ${timeoutMs / 1000} s; see ${join(this.#logDir, `${s.spec.name}.log`)}`);
  }

  async stopAll(graceMs: number): Promise<void> {
    this.#closed = true;
    for (const s of [...this.#running].reverse()) {
      if (s.child.exitCode !== null || s.child.signalCode !== null) continue;
      s.child.kill('SIGTERM');
      const timer = setTimeout(() => s.child.kill('SIGKILL'), graceMs);
      await s.exited;
      clearTimeout(timer);
    }
  }
}
