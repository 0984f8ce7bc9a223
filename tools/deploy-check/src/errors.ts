import { FleetstreamError } from '@fleetstream/stream/errors';

/** Error codes of deploy-check (README: "What is validated where"). */
export const ErrorCodes = {
  YAML_INVALID: 'DEPLOY_YAML_INVALID',
  KUSTOMIZATION_INVALID: 'DEPLOY_KUSTOMIZATION_INVALID',
  KUSTOMIZE_UNSUPPORTED: 'DEPLOY_KUSTOMIZE_UNSUPPORTED',
  PATCH_TARGET_MISSING: 'DEPLOY_PATCH_TARGET_MISSING',
  PATCH_INVALID: 'DEPLOY_PATCH_INVALID',
  PROMQL_INVALID: 'DEPLOY_PROMQL_INVALID',
  KUBECTL_FAILED: 'DEPLOY_KUBECTL_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base error (libs/stream's FleetstreamError): a code from ErrorCodes, never retryable (these are checks of files), the cause. */
export class DeployCheckError extends FleetstreamError<ErrorCode> {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, { details, cause: options?.cause });
  }
}
