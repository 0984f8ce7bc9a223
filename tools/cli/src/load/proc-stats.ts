import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU-seconds (user + system) a process used since it started, from /proc/<pid>/stat; undefined
 * when the process is gone. The fields after the command name (which may hold spaces and
 * parentheses) are split after its last ')'.
 */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of stat(5), utime 14 and stime 15, so indexes 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident set size in MB from /proc/<pid>/status (VmRSS); undefined when the process is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU-seconds of named processes between two readings (a process gone at the end counts what it had). */
export class CpuMeter {
  readonly #start = new Map<string, number>();
  readonly #last = new Map<string, number>();
  readonly #pids: () => Record<string, number>;

  #made = false;

  constructor(pids: () => Record<string, number>) {
    this.#pids = pids;
    this.sample();
    this.#made = true;
  }

  /** Reads every process now (call it now and then so a process that exits keeps its last reading). */
  sample(): void {
    for (const [name, pid] of Object.entries(this.#pids())) {
      const v = cpuSeconds(pid);
      if (v === undefined) continue;
      // A process first seen after the meter was made started since: all its CPU counts.
      if (!this.#start.has(name)) this.#start.set(name, this.#made ? 0 : v);
      this.#last.set(name, v);
    }
  }

  /** CPU-seconds per process since the meter was made. */
  used(): Record<string, number> {
    this.sample();
    return Object.fromEntries([...this.#last].map(([name, v]) => [name, v - (this.#start.get(name) ?? v)]));
  }
}
