/** Error codes of the devstack; each message is one line a user can act on. */
export const DevstackErrorCodes = [
  'JAVA_MISSING',
  'MAVEN_MISSING',
  'MAVEN_FAILED',
  'PORT_TAKEN',
  'NOT_READY',
  'EXITED',
  'INVALID_OPTION',
] as const;

export type DevstackErrorCode = (typeof DevstackErrorCodes)[number];

export class DevstackError extends Error {
  readonly code: DevstackErrorCode;
  constructor(code: DevstackErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DevstackError';
    this.code = code;
  }
}
