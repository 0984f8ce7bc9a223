export { up, down, status, endpointsOf, restart } from './stack.ts';
export type { StackState, Endpoints, StackStatus, UpOptions, RestartOptions } from './stack.ts';
export { DevstackError, DevstackErrorCodes } from './errors.ts';
export type { DevstackErrorCode } from './errors.ts';
export { endpoints, pgUrl } from './endpoints.ts';
export { upSecure, downSecure, secureStatus, secureEnv, passwordFileOf, defaultSecurePorts, defaultSecureDataDir } from './secure.ts';
export type { SecureUpOptions, SecureStackState, SecureStackStatus, SecurePorts, SecureServer } from './secure.ts';
export type { TlsMaterial } from './tls.ts';
