import { FleetstreamError } from '@fleetstream/stream/errors';

/** Error codes of the devstack; each message is one line a user can act on. */
export const DevstackErrorCodes = [
  'DEVSTACK_JAVA_MISSING',
  'DEVSTACK_MAVEN_MISSING',
  'DEVSTACK_MAVEN_FAILED',
  'DEVSTACK_PORT_TAKEN',
  'DEVSTACK_NOT_READY',
  'DEVSTACK_EXITED',
  'DEVSTACK_INVALID_OPTION',
] as const;

export type DevstackErrorCode = (typeof DevstackErrorCodes)[number];

/** The errors of the devstack (the base is libs/stream's); none is retryable: each names what to fix. */
export class DevstackError extends FleetstreamError<DevstackErrorCode> {
  constructor(code: DevstackErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { cause: options?.cause });
  }
}
