// The names of the engines (engine.ts): what --engine takes, and what summary.json records.

/** fused, graph, or gpu: the fused engine on the GPU (src/gpu/), which --backend webgpu selects (not an --engine choice) */
export type EngineName = 'fused' | 'graph' | 'gpu';
/** what --engine takes */
export const ENGINE_NAMES: EngineName[] = ['fused', 'graph'];
