import type { OperatorClock } from '../../src/async-operator.ts';

/** Lets every pending promise callback run (setImmediate comes after the whole microtask queue). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock whose time moves only when the test says so: timers fire in time order (then in the
 * order they were set), each followed by every promise callback it caused, so a test states exact
 * times instead of waiting on the wall clock with margins.
 */
export class ManualClock implements OperatorClock {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers set and not yet fired nor cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** A promise that resolves `ms` from now on this clock. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (let timer = this.#due(end); timer; timer = this.#due(end)) await this.#fire(timer);
    this.#now = end;
    await settle();
  }

  /** Fires timers one by one until `promise` settles; fails when it cannot (no timer left). */
  async until<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const done = promise.finally(() => {
      settled = true;
    });
    await settle();
    while (!settled) {
      const timer = this.#due(Infinity);
      if (!timer) throw new Error(`never settles: no timer left at ${this.#now} ms`);
      await this.#fire(timer);
    }
    return done;
  }

  #due(end: number): Timer | undefined {
    let first: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at <= end && (!first || t.at < first.at || (t.at === first.at && t.id < first.id))) first = t;
    }
    return first;
  }

  async #fire(timer: Timer): Promise<void> {
    this.#timers.delete(timer.id);
    this.#now = timer.at;
    timer.callback();
    await settle();
  }
}
