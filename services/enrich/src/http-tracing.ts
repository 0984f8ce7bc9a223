import { tracingEnabled } from '@fleetstream/stream';

/**
 * Client spans of the asset API calls (tracing on): @opentelemetry/instrumentation-undici, which
 * listens on undici's diagnostics channels (no module patching, so it works under ESM and with
 * `pool.dispatch`). Each call's span is a child of the active context — the enrich chunk's span —
 * and the call carries its `traceparent`. Returns the function that unregisters it; a no-op (and
 * nothing loaded) with tracing off.
 */
export async function traceAssetCalls(): Promise<() => void> {
  if (!tracingEnabled()) return () => undefined;
  const [{ registerInstrumentations }, { UndiciInstrumentation }] = await Promise.all([import('@opentelemetry/instrumentation'), import('@opentelemetry/instrumentation-undici')]);
  return registerInstrumentations({ instrumentations: [new UndiciInstrumentation()] });
}
