/** A callback waiting on the wheel; `cancel` it to drop it. */
export interface WheelEntry {
  fn: (() => void) | undefined;
}

/**
 * One timer for thousands of deadlines: callbacks are kept in slots of `tickMs` and a single
 * interval (running only while something waits) fires every slot that has come. A fleet of
 * thousands of devices then costs a wakeup per tick instead of a Node timer created and cleared
 * per packet (the send schedule) and per read (the ack timeout). A callback never runs early and
 * at most about one tick late.
 *
 * @example
 * const wheel = new TimerWheel(5);
 * const e = wheel.at(Date.now() + 1_000, () => console.log('a second later'));
 * wheel.cancel(e); // never mind
 */
export class TimerWheel {
  readonly #tickMs: number;
  readonly #slots = new Map<number, WheelEntry[]>();
  /** The first slot not fired yet. */
  #next: number;
  #waiting = 0;
  #timer: NodeJS.Timeout | undefined;
  #firing = false;

  constructor(tickMs: number) {
    this.#tickMs = tickMs;
    this.#next = Math.floor(Date.now() / tickMs);
  }

  /** Entries waiting (cancelled ones excluded). */
  get size(): number {
    return this.#waiting;
  }

  /** Runs `fn` once `at` (Date.now() time) has passed, on the next tick after it. */
  at(at: number, fn: () => void): WheelEntry {
    if (this.#timer === undefined) {
      this.#next = Math.max(this.#next, Math.floor(Date.now() / this.#tickMs));
      this.#timer = setInterval(() => this.#fire(), this.#tickMs);
    }
    const entry: WheelEntry = { fn };
    const slot = Math.max(this.#next, Math.ceil(at / this.#tickMs));
    let list = this.#slots.get(slot);
    if (!list) this.#slots.set(slot, (list = []));
    list.push(entry);
    this.#waiting++;
    return entry;
  }

  /** Drops a waiting entry (no-op when it already ran or was cancelled). */
  cancel(entry: WheelEntry): void {
    if (entry.fn === undefined) return;
    entry.fn = undefined;
    this.#waiting--;
    if (this.#waiting === 0 && !this.#firing) this.#idle();
  }

  /** Nothing waits: no interval, no slots (cancelled entries' lists go too). */
  #idle(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#slots.clear();
  }

  #fire(): void {
    const now = Math.floor(Date.now() / this.#tickMs);
    this.#firing = true;
    try {
      while (this.#next <= now) {
        if (this.#slots.size === 0) {
          this.#next = now + 1;
          break;
        }
        // #next moves first: what a callback schedules for a slot already due lands in a later
        // slot of this same loop, never in the one being emptied.
        const slot = this.#next++;
        const list = this.#slots.get(slot);
        if (!list) continue;
        this.#slots.delete(slot);
        for (const entry of list) {
          const fn = entry.fn;
          if (fn === undefined) continue;
          entry.fn = undefined;
          this.#waiting--;
          fn();
        }
      }
    } finally {
      this.#firing = false;
      if (this.#waiting === 0) this.#idle();
    }
  }
}
