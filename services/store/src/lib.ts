/**
 * @fleetstream/store/lib — what tools (the fleetstream CLI, tests) use from the store without
 * starting it: the writer, the read path and the Cassandra client (the topology tool is @fleetstream/topology).
 */
export * from './errors.ts';
export { cassandraConnection, createCassandraClient } from './cassandra-client.ts';
export type { CassandraConnection } from './cassandra-client.ts';
export { decodeStoredEvent, dayOf, KNOWN_SCHEMA_VERSIONS } from './event.ts';
export type { StoredEvent } from './event.ts';
export { PositionWriter, positionStatements } from './position-writer.ts';
export type { PositionWriterOptions } from './position-writer.ts';
export { readPositions } from './positions-query.ts';
export type { PositionRow, PositionsQuery } from './positions-query.ts';
export { cassandraConfigSchema, cassandraConfigShape, storeConfigSchema } from './config.ts';
export type { StoreConfig } from './config.ts';
export { createStoreService, storeConcurrencyOptions } from './service.ts';
export { storeDefinition } from './index.ts';
