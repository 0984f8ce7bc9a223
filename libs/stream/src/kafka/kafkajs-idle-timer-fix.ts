import { createRequire } from 'node:module';

/** The part of kafkajs' internal RequestQueue (network/requestQueue) this fix touches. */
interface RequestQueueLike {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

const PATCHED = Symbol.for('fleetstream.kafkajs.idleTimerFix');

/**
 * Stops kafkajs 2.2.4's idle 1 ms timer loop (tulios/kafkajs#1751, fix PRs #1755/#1768 unmerged):
 * after every response, each broker connection's RequestQueue schedules a check of its pending
 * requests at `throttledUntil - Date.now()` — with no throttle that is -1 - now, which Node turns
 * into 1 ms (on Node 24 with a TimeoutNegativeWarning) — and the check schedules the next one, so
 * every connection wakes its process a thousand times a second for nothing.
 *
 * With nothing pending there is nothing to check later: a later request is either sent at once or
 * queued by `push`, which schedules its own check. So the schedule is skipped when the queue is
 * empty and kafkajs' own logic runs otherwise (throttling, in-flight limits). Applied once, on the
 * kafkajs instance this package loads.
 */
export function applyKafkajsIdleTimerFix(): boolean {
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueLike & { [PATCHED]?: true } };
  const proto = RequestQueue.prototype;
  if (proto[PATCHED]) return false;
  const original = proto.scheduleCheckPendingRequests;
  if (typeof original !== 'function') throw new Error('kafkajs RequestQueue.scheduleCheckPendingRequests not found: the idle timer fix does not fit this kafkajs version');
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike) {
    if (this.pending.length === 0) return;
    original.call(this);
  };
  proto[PATCHED] = true;
  return true;
}
