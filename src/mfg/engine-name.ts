// The names of the engines (engine.ts): what a request may ask for, and what summary.json records.

/** fused, graph, or gpu: the fused engine on the GPU (src/gpu/), which the webgpu backend selects (not a name a request asks for) */
export type EngineName = 'fused' | 'graph' | 'gpu';
/** the names a request may ask for */
export const ENGINE_NAMES: EngineName[] = ['fused', 'graph'];
