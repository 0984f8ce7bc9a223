import { workspaceConfig } from '../../jest.preset.mjs';

export default workspaceConfig(import.meta.url);
