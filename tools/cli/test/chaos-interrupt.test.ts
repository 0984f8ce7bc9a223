// @servers kafka cassandra (it starts a devstack of its own, on free ports)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@fleetstream/devstack';

const bin = fileURLToPath(new URL('../bin/fleetstream.js', import.meta.url));

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** Live processes whose environment or command line contains one of `marks` (a dead or zombie process is not listed). */
function processesWith(marks: string[]): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue;
    const env = read(`/proc/${entry}/environ`);
    const cmd = read(`/proc/${entry}/cmdline`).replace(/\0/g, ' ');
    if (marks.some((m) => env.includes(m) || cmd.includes(m))) out.push({ pid: Number(entry), cmd });
  }
  return out;
}

describe('fleetstream chaos stopped by SIGTERM', () => {
  test('while a kill fault restarts a service, leaves no service process and no Kafka or Cassandra of the devstack it started', async () => {
    // Prepare: a devstack of its own (fresh folder, free ports), so the run is the one that starts it
    const devstackDir = join(mkdtempSync(join(tmpdir(), 'chaos-int-')), 'devstack');
    const [kafka, controller, cassandra, storage, jmx] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [bin, 'chaos', '--events', '4000', '--faults', 'kill:parse', '--feed-seconds', '20', '--devices', '50'], {
      env: {
        ...process.env,
        FLEETSTREAM_DEVSTACK_DIR: devstackDir,
        FLEETSTREAM_KAFKA_PORT: String(kafka), FLEETSTREAM_KAFKA_CONTROLLER_PORT: String(controller),
        FLEETSTREAM_CASSANDRA_PORT: String(cassandra), FLEETSTREAM_CASSANDRA_STORAGE_PORT: String(storage), FLEETSTREAM_CASSANDRA_JMX_PORT: String(jmx),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killFaultBegan = new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('[chaos] fault kill:parse')) resolve();
      });
      void exited.then(() => reject(new Error(`chaos exited before the fault: ${stderr}`)));
    });
    killFaultBegan.catch(() => undefined);

    // Act: SIGTERM as soon as the kill fault began (parse is down, about to be started again)
    await killFaultBegan;
    const runId = /\[chaos\] run ([0-9a-f]+):/.exec(stderr)![1]!;
    // The run's services carry its topic prefix in their environment, the asset API stub its fixed
    // port; the devstack's servers have its folder on their command line.
    const marks = [`chaos-${runId}-`, '\u0000PORT=18091\u0000', devstackDir];
    const before = processesWith(marks);
    child.kill('SIGTERM');
    const code = await exited;

    // Assess
    expect(before.filter((p) => p.cmd.includes('/src/index.ts')).length).toBeGreaterThanOrEqual(5);
    expect(before.some((p) => p.cmd.includes('kafka.Kafka'))).toBe(true);
    expect(before.some((p) => p.cmd.includes('CassandraDaemon'))).toBe(true);
    expect(code).toBe(130);
    expect(processesWith(marks).map((p) => `${p.pid} ${p.cmd.slice(0, 160)}`)).toEqual([]);
    expect(existsSync(join(devstackDir, 'state.json'))).toBe(false);
  }, 420_000);
});
