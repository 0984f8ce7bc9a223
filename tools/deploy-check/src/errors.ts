import { FleetstreamError } from '@fleetstream/stream/errors';

/** Error codes of deploy-check (README "Error codes"). */
export const DeployCheckErrorCodes = [
  'DEPLOY_CHECK_YAML_INVALID',
  'DEPLOY_CHECK_PROMQL_INVALID',
  'DEPLOY_CHECK_KUBECTL_FAILED',
  'DEPLOY_CHECK_COMPOSE_FAILED',
  'DEPLOY_CHECK_COMPOSE_TIMEOUT',
] as const;

export type ErrorCode = (typeof DeployCheckErrorCodes)[number];

/** Base error (libs/stream's FleetstreamError): a code from DeployCheckErrorCodes, never retryable (these are checks of files), the cause. */
export class DeployCheckError extends FleetstreamError<ErrorCode> {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, { details, cause: options?.cause });
  }
}
