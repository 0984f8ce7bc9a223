import { hash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of the UTF-8 text; the one-shot form (no Hash object per request). */
const digest = (s: string) => hash('sha256', s, 'buffer');

/**
 * Bearer token check. Tokens are compared as SHA-256 digests (equal length) with
 * `timingSafeEqual`, against every configured token without an early exit, so the time taken says
 * nothing about how close a guess was.
 */
export function createTokenCheck(tokens: readonly string[]): (presented: string) => boolean {
  const known = tokens.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const k of known) ok = timingSafeEqual(d, k) || ok;
    return ok;
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
