/**
 * A gate a test opens when it chooses: handlers `await latch.wait()` and are held until
 * `open()`. Makes in-flight work observable at a known moment instead of after a sleep.
 */
export class Latch {
  #open = false;
  #waiters: (() => void)[] = [];
  /** How many callers wait now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  wait(): Promise<void> {
    if (this.#open) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }

  open(): void {
    this.#open = true;
    for (const w of this.#waiters.splice(0)) w();
  }
}
