/** One job waiting for its time. */
interface Due {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** Options of {@link DeadlineQueue}. */
export interface DeadlineQueueOptions {
  /** The clock (ms); `performance.now` by default. */
  now?: () => number;
  /**
   * How early a job may run (ms). 0 (the default): never early. Node's timers wake on whole ms
   * and after the loop's I/O, so a queue that is never early is late by ~1 ms on average, more on
   * a busy loop. 'on-time-mean': the queue learns how late it runs jobs (each job's lateness
   * nudges its lead, between 0 and {@link MAX_LEAD_MS}) and runs them that much early, so that
   * their mean lateness is ~0 — the mean delay is the one asked for, as a stub's latency should be.
   */
  early?: number | 'on-time-mean';
}

/** The most an 'on-time-mean' queue runs a job early (ms). */
export const MAX_LEAD_MS = 2;
/** How much of each job's lateness (ms) moves an 'on-time-mean' queue's lead. */
const LEAD_GAIN = 0.02;

/**
 * Runs jobs at an absolute time (ms on `performance.now()`), not before it (less `earlyMs`), with
 * one timer for the whole queue: a binary min-heap on (time, arrival), the timer armed for its head.
 *
 * Why not `setTimeout(ms)` per job: Node stamps a timer with the event loop's cached clock (whole
 * ms, read when the current loop turn began), so under load a per-request 20 ms timer fires up to
 * a turn early or late, and costs a Timeout object, a promise and a list insert per request. Here
 * each job keeps the high-resolution time of its arrival, and a timer that fires early (the loop
 * clock is coarse) is simply re-armed for the rest.
 *
 * @example
 * const queue = new DeadlineQueue();
 * queue.at(performance.now() + 20, () => res.end(body));
 */
export class DeadlineQueue {
  readonly #heap: Due[] = [];
  readonly #now: () => number;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer is expected to fire (ms on the clock). */
  #armedFor = Infinity;

  /** How early jobs run now (ms). */
  #lead: number;
  readonly #adaptive: boolean;

  constructor(options: DeadlineQueueOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#adaptive = options.early === 'on-time-mean';
    this.#lead = options.early === 'on-time-mean' ? 0.5 : (options.early ?? 0);
  }

  /** How early jobs run now (ms): fixed, or what an 'on-time-mean' queue has learnt. */
  get leadMs(): number {
    return this.#lead;
  }

  /** Jobs waiting. */
  get size(): number {
    return this.#heap.length;
  }

  /** Runs `run` once the clock reaches `at` (at once, on the next timer turn, if it already has). */
  at(at: number, run: () => void): void {
    const heap = this.#heap;
    heap.push({ at, seq: this.#seq++, run });
    // Sift up.
    let i = heap.length - 1;
    const job = heap[i] as Due;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Due;
      if (!before(job, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = job;
    if (i === 0 && at < this.#armedFor) this.#arm();
  }

  /** Drops every waiting job (their `run` is never called) and stops the timer. */
  clear(): void {
    this.#heap.length = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const head = this.#heap[0];
    if (head === undefined) return;
    // Timers count whole ms on a clock that may lag this one: round up, and re-arm if early.
    const delay = Math.max(1, Math.ceil(head.at - this.#lead - this.#now()));
    this.#armedFor = head.at;
    this.#timer = setTimeout(this.#onTimer, delay);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const until = this.#now() + this.#lead;
    for (let head = this.#heap[0]; head !== undefined && head.at <= until; head = this.#heap[0]) {
      this.#pop();
      if (this.#adaptive) this.#lead = Math.min(MAX_LEAD_MS, Math.max(0, this.#lead + LEAD_GAIN * (this.#now() - head.at)));
      try {
        head.run();
      } catch {
        // A job's failure is its own (the stub answers 500 from inside run); the queue goes on.
      }
    }
    this.#arm();
  };

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Due;
    const n = heap.length;
    if (n === 0) return;
    // Sift the last job down from the root.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r] as Due, heap[l] as Due) ? r : l;
      if (!before(heap[c] as Due, last)) break;
      heap[i] = heap[c] as Due;
      i = c;
    }
    heap[i] = last;
  }
}

function before(a: Due, b: Due): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
