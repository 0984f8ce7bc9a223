/**
 * The OTLP/JSON encoding of an `ExportTraceServiceRequest` (the protobuf mapping with lowerCamelCase
 * names; ids as hex strings; 64-bit integers as decimal strings or numbers; enums as integers):
 *
 *     { "resourceSpans": [ { "resource": { "attributes": [ { "key": "service.name", "value": { "stringValue": "parse" } } ] },
 *         "scopeSpans": [ { "scope": { "name": "fleetstream", "version": "0.1.0" },
 *           "spans": [ { "traceId": "5b8e…", "spanId": "051…", "parentSpanId": "", "name": "parse chunk", "kind": 5,
 *                        "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "…", "attributes": [ … ],
 *                        "events": [ … ], "status": { "code": 0 } } ] } ] } ] }
 */
import { CollectorError } from './errors.ts';
import type { AttributeValue, Attributes, CollectedSpan } from './types.ts';

const bad = (why: string) => new CollectorError('TRACE_COLLECTOR_BAD_PAYLOAD', `json: ${why}`);
type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** An id as lowercase hex: hex as the spec says, or base64 (the plain protobuf JSON mapping of bytes). */
function id(v: unknown, bytes: number): string {
  const s = str(v);
  if (s === '') return '';
  if (s.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(s)) return s.toLowerCase();
  const b = Buffer.from(s, 'base64');
  if (b.length === bytes) return b.toString('hex');
  throw bad(`an id of ${bytes} bytes expected, got "${s.slice(0, 40)}"`);
}

/** A uint64 nanosecond time: a decimal string, a number, or protobufjs' `{ low, high }`. */
function nanos(v: unknown): bigint {
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.round(v));
  if (v !== null && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  }
  if (v === undefined) return 0n;
  throw bad(`a time in nanoseconds expected, got ${JSON.stringify(v)}`);
}

function anyValue(v: unknown): AttributeValue {
  const o = obj(v);
  if ('stringValue' in o) return str(o.stringValue);
  if ('boolValue' in o) return o.boolValue === true;
  if ('intValue' in o) {
    const n = typeof o.intValue === 'string' ? Number(o.intValue) : (o.intValue as number);
    return Number.isSafeInteger(n) ? n : String(o.intValue);
  }
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('arrayValue' in o) return arr(obj(o.arrayValue).values).map(anyValue);
  if ('kvlistValue' in o) return attributes(obj(o.kvlistValue).values);
  if ('bytesValue' in o) return Buffer.from(str(o.bytesValue), 'base64').toString('hex');
  return null;
}

function attributes(list: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of arr(list)) out[str(obj(kv).key)] = anyValue(obj(kv).value);
  return out;
}

/** Decodes an OTLP/JSON trace request body into spans. */
export function decodeTraceRequestJson(body: string): CollectedSpan[] {
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw bad('the body is not an object');
  const out: CollectedSpan[] = [];
  for (const rs of arr((root as Json).resourceSpans)) {
    const resource = attributes(obj(obj(rs).resource).attributes);
    const serviceName = typeof resource['service.name'] === 'string' ? resource['service.name'] : '';
    for (const ss of arr(obj(rs).scopeSpans)) {
      const sc = obj(obj(ss).scope);
      const scope = { name: str(sc.name), version: str(sc.version) };
      for (const raw of arr(obj(ss).spans)) {
        const s = obj(raw);
        const status = obj(s.status);
        out.push({
          traceId: id(s.traceId, 16),
          spanId: id(s.spanId, 8),
          parentSpanId: id(s.parentSpanId, 8),
          traceState: str(s.traceState),
          name: str(s.name),
          kind: Number(s.kind ?? 0),
          startTimeUnixNano: nanos(s.startTimeUnixNano),
          endTimeUnixNano: nanos(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          events: arr(s.events).map((e) => ({ name: str(obj(e).name), timeUnixNano: nanos(obj(e).timeUnixNano), attributes: attributes(obj(e).attributes) })),
          status: { code: Number(status.code ?? 0), message: str(status.message) },
          serviceName,
          resource,
          scope,
        });
      }
    }
  }
  return out;
}
