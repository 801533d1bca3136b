// ESM entry of the neural-mfg library: registers tsx so that the TypeScript sources load as they
// are (no build step), then re-exports the public API of src/index.ts. Types: types/src/index.d.ts.
import { register } from 'tsx/esm/api';

register();
const api = await import('./src/index.ts');

export const { loadModel, inspectModel, readModel, ModelFileError, useBackend, BACKEND_NAMES, BackendError, GAMES, gameByName } = api;
