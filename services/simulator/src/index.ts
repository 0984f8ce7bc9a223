import { runCli } from './cli.ts';

export { createSimulator } from './simulator.ts';
export type { Simulator } from './simulator.ts';
export type { SimulatorOptions, SimulatorMode, Summary, DeliveryEvent } from './options.ts';
export { DeviceModel, DEFAULT_CITY, IO } from './device-model.ts';
export type { City } from './device-model.ts';
export { formatSummary } from './summary.ts';
export { parseCli, runCli, type CliPlan } from './cli.ts';
export { simulatorConfigSchema, loadSimulatorConfig, FLAGS, type SimulatorConfig } from './config.ts';
export { createSimulatorMetrics, type SimulatorMetrics, type SimulatorProtocol } from './metrics.ts';
export { SimulatorError, SIMULATOR_ERROR_CODES, isRetryable } from './errors.ts';
export { createRng } from './rng.ts';

if (import.meta.main) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
