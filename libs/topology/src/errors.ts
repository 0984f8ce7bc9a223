import { FleetstreamError } from '@fleetstream/stream/errors';

/** Every error the topology tool raises. Codes are listed in this package's README. */
export const TopologyErrorCodes = [
  /** A bad topology file or migration. */
  'TOPOLOGY_INVALID',
  /** Cassandra refused a migration. */
  'TOPOLOGY_MIGRATION_FAILED',
  /** A plan that deletes topics, applied without --allow-delete. */
  'TOPOLOGY_DELETE_NOT_ALLOWED',
] as const;

export type TopologyErrorCode = (typeof TopologyErrorCodes)[number];

/** Base error of the topology tool (libs/stream's FleetstreamError): a bad topology file, a failed migration, a refused delete. */
export class TopologyError extends FleetstreamError<TopologyErrorCode> {}
