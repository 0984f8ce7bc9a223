import { FleetstreamError } from '@fleetstream/stream';

/**
 * Every error services/store raises besides libs/stream's (InvalidRecordError for bad events,
 * STREAM_SINK_REFUSED for a row Cassandra refuses).
 * Codes are listed in the README of the store.
 */
export const StoreErrorCodes = [
  'STORE_QUERY_INVALID',
] as const;

export type StoreErrorCode = (typeof StoreErrorCodes)[number];

/** The errors of the store (the base is libs/stream's). */
export class StoreError extends FleetstreamError<StoreErrorCode> {}
