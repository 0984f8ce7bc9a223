/**
 * Every error the topology tool raises. Codes are listed in this package's README.
 */
export const TopologyErrorCodes = ['TOPOLOGY_INVALID', 'MIGRATION_FAILED', 'DELETE_NOT_ALLOWED'] as const;

export type TopologyErrorCode = (typeof TopologyErrorCodes)[number];

/** Base error of the topology tool: a bad topology file, a failed migration, a refused delete. */
export class TopologyError extends Error {
  readonly code: TopologyErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(code: TopologyErrorCode, message: string, options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TopologyError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}
