/**
 * @fleetstream/topology — Kafka topics and Cassandra migrations as code: load the desired state
 * (topology/topology.json and its CQL migrations), plan the changes against the cluster, apply them.
 */
export * from './errors.ts';
export { loadTopology, readMigrations, DEFAULT_TOPOLOGY_FILE } from './desired.ts';
export type { DesiredTopic, DesiredTopology, Migration, TopologyOverrides } from './desired.ts';
export { plan, describeAction } from './plan.ts';
export type { TopologyAction, TopologyPlan, TopologyClients, PlanOptions } from './plan.ts';
export { apply } from './apply.ts';
export { appliedMigrations, applyMigration, renderMigration, MIGRATIONS_TABLE } from './migrations.ts';
export type { AppliedMigration } from './migrations.ts';
