#!/usr/bin/env node
// Container healthcheck (Dockerfile HEALTHCHECK, compose): exit 0 when the service answers.
//   HEALTHCHECK_URL           what to fetch (default http://127.0.0.1:$HEALTH_PORT/healthz, port 9464)
//   HEALTHCHECK_ANY_STATUS    "true": any HTTP answer counts (for a server without /healthz)
//   HEALTHCHECK_TIMEOUT_MS    deadline for the whole request (default 2000)
// Plain node and fetch: the runtime image has no curl or wget.
const port = process.env.HEALTH_PORT || '9464';
const url = process.env.HEALTHCHECK_URL || `http://127.0.0.1:${port}/healthz`;
const anyStatus = process.env.HEALTHCHECK_ANY_STATUS === 'true';
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 2000);

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  if (res.ok || anyStatus) process.exit(0);
  process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
  process.exit(1);
} catch (err) {
  process.stderr.write(
    `healthcheck: ${url} failed: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
