import type { Service, ServiceDeps } from '@fleetstream/stream';
import { ensureCheckpointTopic } from './checkpoint.ts';
import { checkSqlSourceConfig, fromStartFlag, type SqlSourceConfig } from './config.ts';
import type { Dialect } from './dialect.ts';
import { SqlPoller } from './poller.ts';
import { createDialect } from './source-spec.ts';

/**
 * sql-source: a SQL table, polled by position -> reference.assets + its checkpoint topic. Each batch
 * — one record per row and the new position — goes out in one Kafka transaction (transactional id
 * `sql-source-<SOURCE_NAME>`), so a crash neither skips nor repeats a committed batch. Ready = the
 * last poll succeeded.
 */
export function createSqlSourceService(deps: ServiceDeps<SqlSourceConfig>, options: { dialect?: Dialect; argv?: readonly string[] } = {}): Service {
  const { config } = deps;
  checkSqlSourceConfig(config);
  const dialect = options.dialect ?? createDialect(config);
  const admin = deps.kafka.admin();
  const poller = new SqlPoller(deps, { dialect, admin, fromStart: config.SQL_FROM_START || fromStartFlag(options.argv) });
  return {
    async start() {
      deps.health.setReadiness('source', () => poller.healthy);
      await admin.connect();
      await ensureCheckpointTopic(admin, config.CHECKPOINT_TOPIC);
      poller.start();
    },
    async stop(deadlineMs) {
      await poller.stop(deadlineMs);
      await admin.disconnect().catch(() => undefined);
      await dialect.close();
    },
  };
}
