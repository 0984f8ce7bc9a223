import type { Counter } from 'prom-client';
import { DlqWriter, SpanKind, tracingEnabled, withSpan, type OutboundRecord, type ServiceDeps } from '@fleetstream/stream';
import type { GatewayConfig } from './config.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';
import { RawProducer } from './raw-producer.ts';
import { toRawRecord, toSyntheticInbound, type RawInput } from './raw-record.ts';

/** Where every listener's input goes: telemetry.raw, or the DLQ for what cannot be decoded. */
export interface RawSink {
  /** A device packet to telemetry.raw; resolves once Kafka acknowledged it (acks=all), rejects otherwise. */
  forward(input: RawInput): Promise<void>;
  /** An undecodable packet to the DLQ (original bytes, its reason); resolves once durable. */
  deadLetter(input: RawInput, error: unknown): Promise<void>;
  /** HTTP ingest's records; resolves once durable. */
  produce(records: OutboundRecord[]): Promise<void>;
  readonly producer: RawProducer;
}

/**
 * The gateway's way out: one shared RawProducer (batched, acks=all) for telemetry.raw and the DLQ,
 * counting what went out (records by topic; packets acked, rejected, dead-lettered).
 */
export function createRawSink(deps: ServiceDeps<GatewayConfig>, gm: GatewayMetrics): RawSink {
  const { config, metrics } = deps;
  const service = deps.name;
  const log = deps.logger.child({ component: 'gateway' });
  const kafkaProducer = deps.kafka.producer({ timeoutMs: config.GATEWAY_PRODUCE_TIMEOUT_MS });
  const producer = new RawProducer({
    producer: kafkaProducer,
    admin: deps.kafka.admin(),
    logger: log,
    lingerMs: config.GATEWAY_LINGER_MS,
    sendIntervalMs: config.GATEWAY_SEND_INTERVAL_MS,
    maxBatchRecords: config.GATEWAY_MAX_BATCH_RECORDS,
    slowSendMs: config.GATEWAY_SLOW_SEND_MS,
    probeIntervalMs: config.GATEWAY_PROBE_INTERVAL_MS,
  });
  // The DlqWriter only builds and counts dead letters here: they go out batched through RawProducer.
  const dlq = new DlqWriter(kafkaProducer, metrics, { topic: config.DLQ_TOPIC });
  // Labelled children looked up once: a label lookup per packet (hashing the label set) showed in
  // the profile at thousands of packets per second.
  const outByTopic = new Map<string, Counter.Internal>();
  const countOut = (records: OutboundRecord[]) => {
    for (const r of records) {
      let child = outByTopic.get(r.topic);
      if (!child) outByTopic.set(r.topic, (child = metrics.recordsOut.labels({ service, topic: r.topic })));
      child.inc();
    }
  };
  const packets = {
    acked: gm.packets.labels({ service, result: 'acked' }),
    rejected: gm.packets.labels({ service, result: 'rejected' }),
    dlq: gm.packets.labels({ service, result: 'dlq' }),
  };
  const produce = async (records: OutboundRecord[]) => {
    await producer.submit(records);
    countOut(records);
  };
  const forwardRecord = (record: OutboundRecord) =>
    producer.submit([record]).then(
      () => {
        countOut([record]);
        packets.acked.inc();
      },
      (err: unknown) => {
        packets.rejected.inc();
        throw err;
      },
    );
  const rawSpanAttributes = (input: RawInput) => packetSpan(input, config.RAW_TOPIC);
  return {
    producer,
    produce,
    // Each packet starts a trace (tracing on): its span's context goes out in the record's headers.
    forward: (input) =>
      tracingEnabled()
        ? withSpan(`ingest ${input.protocol}`, rawSpanAttributes(input), (trace) => forwardRecord(toRawRecord(input, trace)))
        : forwardRecord(toRawRecord(input)),
    deadLetter: (input, error) =>
      withSpan(`ingest ${input.protocol}`, packetSpan(input, config.DLQ_TOPIC), async (trace) => {
        const letters = [{ record: toSyntheticInbound(input, trace), error }];
        await produce(dlq.records(letters));
        dlq.count(letters);
        packets.dlq.inc();
        log.warn({ imei: input.key, remote: input.remote, code: (error as { code?: string }).code }, 'bad packet sent to the DLQ, not acknowledged');
      }),
  };
}

/** The span of one received packet: kind SERVER (the gateway answers the device), where it goes. */
function packetSpan(input: RawInput, topic: string) {
  return {
    kind: SpanKind.SERVER,
    attributes: { 'network.protocol.name': input.protocol, 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.message.body.size': input.value.length },
  };
}
