/** Error codes of deploy-check (README: "What is validated where"). */
export const ErrorCodes = {
  YAML_INVALID: 'DEPLOY_YAML_INVALID',
  KUSTOMIZATION_INVALID: 'DEPLOY_KUSTOMIZATION_INVALID',
  KUSTOMIZE_UNSUPPORTED: 'DEPLOY_KUSTOMIZE_UNSUPPORTED',
  PATCH_TARGET_MISSING: 'DEPLOY_PATCH_TARGET_MISSING',
  PATCH_INVALID: 'DEPLOY_PATCH_INVALID',
  PROMQL_INVALID: 'DEPLOY_PROMQL_INVALID',
  KUBECTL_FAILED: 'DEPLOY_KUBECTL_FAILED',
  COMPOSE_FAILED: 'DEPLOY_COMPOSE_FAILED',
  COMPOSE_TIMEOUT: 'DEPLOY_COMPOSE_TIMEOUT',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base error: a code from ErrorCodes, never retryable (these are checks of files), the cause. */
export class DeployCheckError extends Error {
  readonly code: ErrorCode;
  readonly retryable = false;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeployCheckError';
    this.code = code;
    this.details = details;
  }
}

/** True when `err` says it may succeed on a retry (nothing here does). */
export function isRetryable(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true
  );
}
