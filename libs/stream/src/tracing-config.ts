import { z } from 'zod';
import { ConfigError } from './errors.ts';

/**
 * The OpenTelemetry variables every service reads (the spec's standard names, so operators set
 * them as for any other OTel SDK). Tracing is on when an OTLP endpoint is set and
 * OTEL_SDK_DISABLED is not true; everything else has the spec's default.
 */
export const tracingConfigShape = {
  /** true turns tracing off even with an endpoint set. */
  OTEL_SDK_DISABLED: z.enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'], { message: 'must be true or false' }).optional(),
  /** Base URL of the OTLP/HTTP receiver; spans go to `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url({ message: 'must be a URL' }).optional(),
  /** Full URL of the traces endpoint (used as is, wins over OTEL_EXPORTER_OTLP_ENDPOINT). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url({ message: 'must be a URL' }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json'], { message: 'must be http/protobuf or http/json (grpc is not supported)' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['http/protobuf', 'http/json'], { message: 'must be http/protobuf or http/json (grpc is not supported)' }).optional(),
  /** `key=value,key2=value2` sent with every export (e.g. an API key); never logged. */
  OTEL_EXPORTER_OTLP_HEADERS: z.string().min(1).optional(),
  /** resource service.name; default the service's own name (gateway, parse, enrich, store, sql-source). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** `key=value,...` added to the resource. */
  OTEL_RESOURCE_ATTRIBUTES: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], {
      message: 'must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio',
    })
    .optional(),
  /** The ratio of the *traceidratio samplers, 0..1 (default 1). */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number({ message: 'must be a number in 0..1' }).min(0, { message: 'must be in 0..1' }).max(1, { message: 'must be in 0..1' }).optional(),
  /** BatchSpanProcessor: ms between two exports (default 5000). */
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number({ message: 'must be an integer' }).int({ message: 'must be an integer' }).min(0, { message: 'must be >= 0' }).optional(),
  OTEL_BSP_EXPORT_TIMEOUT: z.coerce.number({ message: 'must be an integer' }).int({ message: 'must be an integer' }).min(1, { message: 'must be >= 1' }).optional(),
  OTEL_BSP_MAX_QUEUE_SIZE: z.coerce.number({ message: 'must be an integer' }).int({ message: 'must be an integer' }).min(1, { message: 'must be >= 1' }).optional(),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: z.coerce.number({ message: 'must be an integer' }).int({ message: 'must be an integer' }).min(1, { message: 'must be >= 1' }).optional(),
};

export type TracingConfig = { [K in keyof typeof tracingConfigShape]?: z.infer<(typeof tracingConfigShape)[K]> };

/** Where and how spans go, resolved from {@link TracingConfig}; undefined = tracing off. */
export interface TracingSettings {
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: { name: NonNullable<TracingConfig['OTEL_TRACES_SAMPLER']>; ratio: number };
  batch: { scheduledDelayMillis: number; exportTimeoutMillis: number; maxQueueSize: number; maxExportBatchSize: number };
}

/** `k=v,k2=v2` (values percent-decoded, as the spec says) to an object; a pair without `=` names the variable. */
function keyValues(variable: string, text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(variable, `must be a comma-separated list of key=value (got a pair without "=")`);
    out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return out;
}

/** The settings of a service's tracing, or undefined when it is off (no endpoint, or OTEL_SDK_DISABLED=true). */
export function tracingSettings(config: TracingConfig, defaultServiceName: string): TracingSettings | undefined {
  if (config.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return undefined;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`);
  if (url === undefined) return undefined;
  return {
    url,
    protocol: config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: keyValues('OTEL_EXPORTER_OTLP_HEADERS', config.OTEL_EXPORTER_OTLP_HEADERS),
    serviceName: config.OTEL_SERVICE_NAME ?? defaultServiceName,
    resourceAttributes: keyValues('OTEL_RESOURCE_ATTRIBUTES', config.OTEL_RESOURCE_ATTRIBUTES),
    sampler: { name: config.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on', ratio: config.OTEL_TRACES_SAMPLER_ARG ?? 1 },
    batch: {
      scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY ?? 5_000,
      exportTimeoutMillis: config.OTEL_BSP_EXPORT_TIMEOUT ?? 30_000,
      maxQueueSize: config.OTEL_BSP_MAX_QUEUE_SIZE ?? 2_048,
      maxExportBatchSize: config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? 512,
    },
  };
}
