/**
 * Header names of telemetry.raw records: the gateway writes them, parse reads them (docs/architecture.md,
 * "Topics"). The value is the bytes as received; `protocol` says how to decode them.
 */
export const RawHeaders = { protocol: 'protocol', codec: 'codec', receivedAt: 'receivedAt', remote: 'remote' } as const;

/** Values of the `protocol` header. */
export type RawProtocol = 'teltonika-tcp' | 'teltonika-udp' | 'json';
