// The public library API of neural-mfg (ESM; require() works too on Node 20.19+). See README
// "Using a trained model from Node.js". Everything here speaks plain arrays and its own types.
export { loadModel, NESTED_LIMIT, type LoadedModel, type LoadOptions, type Observations, type SimulateOptions, type Simulation } from './api.ts';
export { GAMES, gameByName, inspectModel, shippedModel, shippedModels, SHIPPED_MODELS, type GameInfo, type ModelInfo } from './public.ts';
export { readModel, ModelFileError, type ModelManifest } from './io/model.ts';
export { useBackend, BACKEND_NAMES, BackendError } from './backend.ts';
export type { Dataset } from './data/dataset.ts';
export type { ExperimentConfig } from './config.ts';
export type { MlpSpec, Activation } from './nn/spec.ts';
export type { EngineName } from './mfg/engine-name.ts';
export { PACKAGE_VERSION as VERSION } from './package.ts';
