/** Applies {@link applyKafkajsFastPaths} on import: imported by kafkajs-client.ts before kafkajs itself. */
import { applyKafkajsFastPaths } from './kafkajs-fast-paths.ts';

applyKafkajsFastPaths();
