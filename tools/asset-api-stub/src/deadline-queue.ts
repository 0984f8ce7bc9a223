/** One job waiting for its time. */
interface Due {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/**
 * Runs jobs at an absolute time (ms on `performance.now()`), never before it, with one timer for
 * the whole queue: a binary min-heap on (time, arrival), the timer armed for its head.
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

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
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
    const delay = Math.max(1, Math.ceil(head.at - this.#now()));
    this.#armedFor = head.at;
    this.#timer = setTimeout(this.#onTimer, delay);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = this.#now();
    for (let head = this.#heap[0]; head !== undefined && head.at <= now; head = this.#heap[0]) {
      this.#pop();
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
