import { pino, type Logger, type LevelWithSilent } from 'pino';
import { traceLogFields } from './tracing.ts';

/**
 * The root logger: JSON, level from LOG_LEVEL (info by default), service name and version on every
 * line. Components take `logger.child({ component })`. Never log payloads or secrets: the redact
 * list is a safety net for the field names that could carry them. A line written inside a traced
 * operation carries `trace_id` and `span_id` (tracing.ts); with tracing off nothing is added.
 */
export function createLogger(options: { service: string; version: string; level?: LevelWithSilent; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, version: options.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'value', '*.value', 'payload', '*.payload', 'sasl'], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceLogFields,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
