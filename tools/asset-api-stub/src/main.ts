import { createAssetApiStub, type AssetApiStub } from './asset-api-stub.ts';
import { loadStubConfig, StubConfigError } from './config.ts';

/** Starts the stub from the environment and closes it on SIGTERM/SIGINT (exit 0). */
export async function runStub(env: NodeJS.ProcessEnv = process.env): Promise<AssetApiStub> {
  const config = loadStubConfig(env);
  const stub = await createAssetApiStub(config);
  process.stdout.write(`${JSON.stringify({ msg: 'asset-api-stub listening', ...config, port: stub.port })}\n`);
  const onSignal = () => {
    stub.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return stub;
}

/** The process entry: bad config -> one line on stderr, exit 2. */
export function main(): void {
  runStub().catch((err: unknown) => {
    if (err instanceof StubConfigError) {
      process.stderr.write(`asset-api-stub: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`asset-api-stub: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
