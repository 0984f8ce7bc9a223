import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A stub running as its own process (`node src/index.ts`). */
export interface StubProcess {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the stub in its own process on 127.0.0.1 and a free port (the variables of
 * {@link loadStubConfig} in `env`), resolving once it listens. `cpus` (a `taskset` list such as
 * "1") pins it to those cores, so a bench's client and the stub do not share one.
 *
 * @example
 * const stub = await spawnStubProcess({ LATENCY_MS: '20' });
 * await fetch(`${stub.url}/assets/dev-1`);
 * await stub.stop();
 */
export async function spawnStubProcess(
  env: Record<string, string> = {},
  options: { cpus?: string } = {},
): Promise<StubProcess> {
  const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
  const childEnv = { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env };
  const [command, args] =
    options.cpus === undefined
      ? [process.execPath, [entry]]
      : ['taskset', ['-c', options.cpus, process.execPath, entry]];
  const child = spawn(command, args, { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.pipe(process.stderr);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) =>
      reject(new Error(`asset-api-stub exited (code ${code}) before listening`)),
    );
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
