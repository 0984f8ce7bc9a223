import { FleetstreamError } from '@fleetstream/stream/errors';

/** Every error code of the fleetstream command (README "Exit codes and errors"). */
export const CliErrorCodes = [
  /** Bad command-line input: the verb prints it in one line and exits 2. */
  'CLI_USAGE',
  /** `fleetstream load`: a port of the pipeline is in use (another pipeline would take the load); exit 1. */
  'CLI_PORT_TAKEN',
] as const;

export type CliErrorCode = (typeof CliErrorCodes)[number];

/** Bad command-line input (exit code 2); the base is libs/stream's FleetstreamError. */
export class UsageError extends FleetstreamError<CliErrorCode> {
  constructor(message: string) {
    super('CLI_USAGE', message);
  }
}

/** A port the load test's pipeline needs is in use (exit code 1). */
export class PortTakenError extends FleetstreamError<CliErrorCode> {
  constructor(message: string) {
    super('CLI_PORT_TAKEN', message);
  }
}
