/**
 * @fleetstream/asset-api-stub — an asset-details HTTP service stub. Importing the package gives the
 * factory; running this file (`node src/index.ts`) starts the server from the environment.
 */
import { main } from './main.ts';

export { createAssetApiStub, syntheticAsset } from './asset-api-stub.ts';
export type { AssetApiStub, AssetApiStubOptions, AssetSource, StubAsset } from './asset-api-stub.ts';
export { loadStubConfig, stubConfigSchema, StubConfigError } from './config.ts';
export { spawnStubProcess } from './stub-process.ts';
export type { StubProcess } from './stub-process.ts';
export type { StubConfig } from './config.ts';

if (import.meta.main) main();
