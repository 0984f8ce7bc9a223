/**
 * A reader of the protobuf encoding of an OTLP `ExportTraceServiceRequest`, for just the fields the
 * collector keeps (opentelemetry-proto, collector/trace/v1 and trace/v1). Unknown fields are skipped
 * by their wire type, as protobuf requires, so newer exporters still decode.
 */
import { CollectorError } from './errors.ts';
import type { AttributeValue, Attributes, CollectedSpan } from './types.ts';

// Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3 and 4, groups, are not used by OTLP).
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** A cursor over one message's bytes. */
class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** A base-128 varint, least significant group first, as a bigint (int64 and uint64 fit). */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end || shift > 63n) throw bad('truncated or overlong varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  /** Eight bytes, little-endian, unsigned. */
  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw bad('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw bad('truncated double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bounds: a sub-reader over its bytes. */
  sub(): Reader {
    const len = Number(this.varint());
    if (this.pos + len > this.end) throw bad('length-delimited field runs past its message');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  bytes(): Uint8Array {
    const r = this.sub();
    return this.buf.subarray(r.pos, r.end);
  }

  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === FIXED64) this.pos += 8;
    else if (wireType === LEN) this.sub();
    else if (wireType === FIXED32) this.pos += 4;
    else throw bad(`unsupported wire type ${wireType}`);
    if (this.pos > this.end) throw bad('field runs past its message');
  }

  /** Calls `field(number, wireType)` for each field; it reads the value or returns false to skip it. */
  fields(field: (no: number, wireType: number) => boolean | void): void {
    while (this.pos < this.end) {
      const tag = Number(this.varint());
      const no = tag >>> 3;
      const wireType = tag & 7;
      if (field(no, wireType) !== true) this.skip(wireType);
    }
  }
}

const bad = (why: string) => new CollectorError('TRACE_COLLECTOR_BAD_PAYLOAD', `protobuf: ${why}`);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** An int64 as a JS number when exact, else as a decimal string. */
const int64 = (v: bigint) => {
  const signed = BigInt.asIntN(64, v);
  return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed.toString();
};

/**
 * AnyValue: oneof 1 string_value (string), 2 bool_value (bool), 3 int_value (int64), 4 double_value
 * (double), 5 array_value (ArrayValue: 1 repeated AnyValue), 6 kvlist_value (KeyValueList: 1
 * repeated KeyValue), 7 bytes_value (bytes).
 */
function anyValue(r: Reader): AttributeValue {
  let v: AttributeValue = null;
  r.fields((no, wt) => {
    if (no === 1 && wt === LEN) v = r.string();
    else if (no === 2 && wt === VARINT) v = r.varint() !== 0n;
    else if (no === 3 && wt === VARINT) v = int64(r.varint());
    else if (no === 4 && wt === FIXED64) v = r.double();
    else if (no === 5 && wt === LEN) {
      const arr: AttributeValue[] = [];
      const s = r.sub();
      s.fields((n, w) => (n === 1 && w === LEN ? (arr.push(anyValue(s.sub())), true) : false));
      v = arr;
    } else if (no === 6 && wt === LEN) {
      const s = r.sub();
      const obj: Attributes = {};
      s.fields((n, w) => (n === 1 && w === LEN ? (keyValue(s.sub(), obj), true) : false));
      v = obj;
    } else if (no === 7 && wt === LEN) v = hex(r.bytes());
    else return false;
    return true;
  });
  return v;
}

/** KeyValue: 1 key (string), 2 value (AnyValue). */
function keyValue(r: Reader, into: Attributes): void {
  let key = '';
  let value: AttributeValue = null;
  r.fields((no, wt) => {
    if (no === 1 && wt === LEN) key = r.string();
    else if (no === 2 && wt === LEN) value = anyValue(r.sub());
    else return false;
    return true;
  });
  into[key] = value;
}

/** Span.Event: 1 time_unix_nano (fixed64), 2 name (string), 3 attributes (repeated KeyValue). */
function spanEvent(r: Reader): CollectedSpan['events'][number] {
  const e = { name: '', timeUnixNano: 0n, attributes: {} as Attributes };
  r.fields((no, wt) => {
    if (no === 1 && wt === FIXED64) e.timeUnixNano = r.fixed64();
    else if (no === 2 && wt === LEN) e.name = r.string();
    else if (no === 3 && wt === LEN) keyValue(r.sub(), e.attributes);
    else return false;
    return true;
  });
  return e;
}

type SpanContext = Pick<CollectedSpan, 'serviceName' | 'resource' | 'scope'>;

/**
 * Span: 1 trace_id (bytes, 16), 2 span_id (bytes, 8), 3 trace_state (string), 4 parent_span_id
 * (bytes), 5 name (string), 6 kind (enum), 7 start_time_unix_nano (fixed64), 8 end_time_unix_nano
 * (fixed64), 9 attributes (repeated KeyValue), 11 events (repeated Event), 15 status (Status:
 * 2 message string, 3 code enum). Links (13), flags (16) and the dropped counts are skipped.
 */
function span(r: Reader, ctx: SpanContext): CollectedSpan {
  const s: CollectedSpan = {
    traceId: '', spanId: '', parentSpanId: '', traceState: '', name: '', kind: 0,
    startTimeUnixNano: 0n, endTimeUnixNano: 0n, attributes: {}, events: [], status: { code: 0, message: '' }, ...ctx,
  };
  r.fields((no, wt) => {
    if (no === 1 && wt === LEN) s.traceId = hex(r.bytes());
    else if (no === 2 && wt === LEN) s.spanId = hex(r.bytes());
    else if (no === 3 && wt === LEN) s.traceState = r.string();
    else if (no === 4 && wt === LEN) s.parentSpanId = hex(r.bytes());
    else if (no === 5 && wt === LEN) s.name = r.string();
    else if (no === 6 && wt === VARINT) s.kind = Number(r.varint());
    else if (no === 7 && wt === FIXED64) s.startTimeUnixNano = r.fixed64();
    else if (no === 8 && wt === FIXED64) s.endTimeUnixNano = r.fixed64();
    else if (no === 9 && wt === LEN) keyValue(r.sub(), s.attributes);
    else if (no === 11 && wt === LEN) s.events.push(spanEvent(r.sub()));
    else if (no === 15 && wt === LEN) {
      const st = r.sub();
      st.fields((n, w) => {
        if (n === 2 && w === LEN) s.status.message = st.string();
        else if (n === 3 && w === VARINT) s.status.code = Number(st.varint());
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return s;
}

/** InstrumentationScope: 1 name (string), 2 version (string). */
function scope(r: Reader): SpanContext['scope'] {
  const sc = { name: '', version: '' };
  r.fields((no, wt) => {
    if (no === 1 && wt === LEN) sc.name = r.string();
    else if (no === 2 && wt === LEN) sc.version = r.string();
    else return false;
    return true;
  });
  return sc;
}

/**
 * ExportTraceServiceRequest: 1 resource_spans (repeated ResourceSpans).
 *   ResourceSpans: 1 resource (Resource: 1 attributes, repeated KeyValue), 2 scope_spans (repeated).
 *   ScopeSpans: 1 scope (InstrumentationScope), 2 spans (repeated Span).
 * Field order on the wire is free, so a scope's spans are read after its scope and resource.
 */
export function decodeTraceRequestProtobuf(body: Uint8Array): CollectedSpan[] {
  const out: CollectedSpan[] = [];
  const req = new Reader(body);
  req.fields((no, wt) => {
    if (no !== 1 || wt !== LEN) return false;
    const rs = req.sub();
    const resource: Attributes = {};
    const scopeSpans: Reader[] = [];
    rs.fields((n, w) => {
      if (n === 1 && w === LEN) {
        const res = rs.sub();
        res.fields((m, x) => (m === 1 && x === LEN ? (keyValue(res.sub(), resource), true) : false));
      } else if (n === 2 && w === LEN) scopeSpans.push(rs.sub());
      else return false;
      return true;
    });
    const serviceName = typeof resource['service.name'] === 'string' ? resource['service.name'] : '';
    for (const ss of scopeSpans) {
      let sc = { name: '', version: '' };
      const spans: Reader[] = [];
      ss.fields((n, w) => {
        if (n === 1 && w === LEN) sc = scope(ss.sub());
        else if (n === 2 && w === LEN) spans.push(ss.sub());
        else return false;
        return true;
      });
      for (const sp of spans) out.push(span(sp, { serviceName, resource, scope: sc }));
    }
    return true;
  });
  return out;
}

/**
 * ExportTraceServiceResponse with a partial success when `rejected` > 0 (1 partial_success:
 * ExportTracePartialSuccess { 1 rejected_spans int64, 2 error_message string }); empty otherwise.
 */
export function encodeTraceResponseProtobuf(rejected: number, message: string): Buffer {
  if (rejected === 0) return Buffer.alloc(0);
  const inner = Buffer.concat([Buffer.from([0x08]), varintBytes(BigInt(rejected)), lenField(2, Buffer.from(message, 'utf8'))]);
  return lenField(1, inner);
}

/** google.rpc.Status { 1 code int32, 2 message string }: the body of an OTLP error answer. */
export function encodeRpcStatusProtobuf(code: number, message: string): Buffer {
  return Buffer.concat([Buffer.from([0x08]), varintBytes(BigInt(code)), lenField(2, Buffer.from(message, 'utf8'))]);
}

function varintBytes(v: bigint): Buffer {
  const bytes: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    bytes.push(b);
  } while (v > 0n);
  return Buffer.from(bytes);
}

const lenField = (no: number, value: Buffer) => Buffer.concat([varintBytes(BigInt((no << 3) | LEN)), varintBytes(BigInt(value.length)), value]);
