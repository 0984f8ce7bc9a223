interface Pending<T> {
  items: T[];
  signal: AbortSignal | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Merges the calls made in one turn of the event loop into one call of `run`: the partition chunks
 * of one fetch are handled side by side, and each used to make its own request (to Kafka, to
 * Cassandra) for a few records, while a request costs the server far more than a record. Calls are
 * held until `setImmediate` — after the I/O callbacks and promise jobs of the turn, so no timer
 * and no added wait — then their items are concatenated in call order (each caller's items stay
 * in their order; a partition's next chunk comes only after its previous one resolved).
 *
 * Each caller still learns the outcome of its own items only: when a merged call fails, every
 * caller's items are run again alone (with its own signal), so an item the server refuses fails
 * the chunk that holds it and not its neighbours (whose items may be written twice: at-least-once,
 * as any retry). The merged call's signal aborts when any caller's does (a revoked partition); its
 * callers are then run alone, each under its own signal.
 */
export class TurnCoalescer<T> {
  readonly #run: (items: T[], signal: AbortSignal | undefined) => Promise<void>;
  #pending: Pending<T>[] = [];
  #scheduled = false;
  #calls = 0;

  constructor(run: (items: T[], signal: AbortSignal | undefined) => Promise<void>) {
    this.#run = run;
  }

  /** Calls of `run` made so far (merged or alone). */
  get calls(): number {
    return this.#calls;
  }

  /** Resolves when `items` were handled (in a merged call or alone); rejects with this caller's own error. */
  submit(items: T[], signal?: AbortSignal): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ items, signal, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  #call(items: T[], signal: AbortSignal | undefined): Promise<void> {
    this.#calls += 1;
    return this.#run(items, signal);
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 1) {
      const only = batch[0]!;
      return this.#call(only.items, only.signal).then(only.resolve, only.reject);
    }
    const signals = batch.map((p) => p.signal).filter((s): s is AbortSignal => s !== undefined);
    try {
      await this.#call(
        batch.flatMap((p) => p.items),
        signals.length > 0 ? AbortSignal.any(signals) : undefined,
      );
      for (const p of batch) p.resolve();
    } catch {
      // One caller's bad item must not fail the others: each runs its own items again.
      for (const p of batch) void this.#call(p.items, p.signal).then(p.resolve, p.reject);
    }
  }
}
