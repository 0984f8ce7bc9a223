import { z } from 'zod';
import { baseConfigShape, env } from '@fleetstream/stream';

/** A comma list of non-empty items; an empty or missing variable is the empty list. */
const commaList = () =>
  z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

/**
 * The gateway's environment: the runtime's variables, its listeners, limits and the raw topic.
 * It has no consumer, so no consumer variables.
 */
export const gatewayConfigSchema = z.object({
  ...baseConfigShape,
  RAW_TOPIC: env.str('telemetry.raw'),
  /** Where undecodable packets go (tests use their own). */
  DLQ_TOPIC: env.str('telemetry.dlq'),
  /** Teltonika TCP listener; 0 picks a free port (tests). */
  GATEWAY_TCP_PORT: env.port(5027),
  /** HTTP JSON ingest listener; 0 picks a free port (tests). */
  GATEWAY_HTTP_PORT: env.port(8080),
  /** Teltonika UDP listener (same port number as TCP by convention); 0 picks a free port. */
  GATEWAY_UDP_PORT: env.port(5027),
  GATEWAY_UDP_ENABLED: env.bool(true),
  /** UDP datagrams being forwarded at once; more are dropped unanswered (the device resends). */
  GATEWAY_UDP_MAX_IN_FLIGHT: env.int(10_000, { min: 1 }),
  GATEWAY_HOST: env.str('0.0.0.0'),
  /** IMEIs allowed to log in; empty = every well-formed IMEI. */
  GATEWAY_IMEI_ALLOW: commaList(),
  /** Bearer tokens accepted by POST /v1/telemetry; empty = every request is refused (403). */
  GATEWAY_TOKENS: commaList(),
  /** Largest whole TCP AVL packet (header and CRC included). */
  GATEWAY_MAX_PACKET_BYTES: env.int(64 * 1024, { min: 64, max: 16 * 1024 * 1024 }),
  /** A connection must complete a packet (login or AVL) within this time, else it is closed. */
  GATEWAY_IDLE_TIMEOUT_MS: env.int(120_000, { min: 50, max: 3_600_000 }),
  GATEWAY_MAX_BODY_BYTES: env.int(1024 * 1024, { min: 256, max: 64 * 1024 * 1024 }),
  /** HTTP ingest requests handled at once; more are answered 503 (retry-after) before their body is read. */
  GATEWAY_HTTP_MAX_IN_FLIGHT: env.int(256, { min: 1, max: 100_000 }),
  /** How long records wait for company before a produce (0: send what accumulated while the previous send was in flight). */
  GATEWAY_LINGER_MS: env.int(0, { min: 0, max: 1_000 }),
  /**
   * Least time between the starts of two produce requests: under load the records of a whole
   * interval go out in one request; after a quiet interval a record goes out at once (0: no pacing).
   */
  GATEWAY_SEND_INTERVAL_MS: env.int(10, { min: 0, max: 1_000 }),
  /** Most records in one produce request. */
  GATEWAY_MAX_BATCH_RECORDS: env.int(2_000, { min: 1, max: 100_000 }),
  /** A produce that takes longer fails (and is not acknowledged). */
  GATEWAY_PRODUCE_TIMEOUT_MS: env.int(10_000, { min: 100, max: 120_000 }),
  /** A produce in flight for longer marks the gateway not ready. */
  GATEWAY_SLOW_SEND_MS: env.int(5_000, { min: 10, max: 120_000 }),
  /** Period of the cheap Kafka probe (list topics) behind /readyz. */
  GATEWAY_PROBE_INTERVAL_MS: env.int(2_000, { min: 50, max: 60_000 }),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
