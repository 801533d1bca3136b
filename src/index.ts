// The public library API of neural-mfg (ESM). See README "Using a trained model from Node.js".
export { loadModel, inspectModel, type LoadedModel, type SimulateOptions, type Simulation } from './api.ts';
export { readModel, ModelFileError, type ModelManifest } from './io/model.ts';
export { useBackend, BACKEND_NAMES, BackendError } from './backend.ts';
export { GAMES, gameByName } from '../games/index.ts';
export type { Game, Mechanics, Dataset, ObservationModel } from './game.ts';
export type { ExperimentConfig } from './config.ts';
