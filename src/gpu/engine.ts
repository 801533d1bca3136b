// The fused GPU engine: the fused solve (src/fused/) as WebGPU compute shaders run straight on
// Dawn (src/gpu/solve.wgsl.ts), behind the same Engine interface. A call uploads what the host
// drew (the parameters unless they live on the GPU, the initial states, the Brownian path, the
// game's random draws, the observations' constants), records every dispatch of the solve, its loss
// and its reverse pass into one command buffer, submits it once and reads back once: the loss
// alone (`loss`, `trainStep`), the loss and the gradient (`lossAndGradient`), or the saved states
// (`simulate`). `trainStep` also runs the optimiser on the GPU, so that a training step reads
// back nothing but its loss; the parameters then live on the GPU until `downloadParams()`.
import type { ExperimentConfig } from '../config.ts';
import type { Engine, EngineInput, ObservationBatch, SolveRequest, SolveResult } from '../mfg/engine.ts';
import { savePlan, saveTimes } from '../ode/solve.ts';
import { FusedMlp } from '../fused/mlp.ts';
import type { OptimizerConfig, OptimizerState } from '../train/optimizers.ts';
import { gpuContext, GpuNotStartedError, type GpuContext, type GpuCounters } from './device.ts';
import type { GpuGameKernels } from './kernels.ts';
import { radixPasses, selectWorkgroupBytes } from './select.wgsl.ts';
import { FLAG, optimizerProgram, solveProgram, STEP_FIELDS, STEP_RECORD_BYTES, type StepField } from './solve.wgsl.ts';
import { gpuUnsupported } from './support.ts';
import { fusedScheme, type FusedScheme } from '../fused/schemes.ts';

const fround = Math.fround;
const ENTRIES = ['advance', 'radix', 'finalize', 'loss_seed', 'reverse_mid', 'reverse_step', 'stage_seed', 'stage_back', 'gather'] as const;
type Entry = (typeof ENTRIES)[number];
/** at most this many sweep workgroups: each thread then takes several agents */
const MAX_SWEEP_WORKGROUPS = 1024;
const BUFFERS = ['params', 'grads', 'ys', 'work', 'hist', 'noise', 'data', 'oslope'] as const;
type BufferName = (typeof BUFFERS)[number];

interface Program {
  pipelines: Record<Entry, any>;
  layout0: any;
  layout1: any;
}

interface OptimizerProgram {
  pipeline: any;
  layout0: any;
  layout1: any;
}

interface Dispatch {
  entry: Entry;
  workgroups: number;
  fields: Partial<Record<StepField, number>>;
}

/** What one engine call moved and ran (the counters' increase over the call). */
export type GpuCallCounts = GpuCounters;

export class GpuFusedEngine<C extends ExperimentConfig = ExperimentConfig> implements Engine {
  readonly name = 'gpu' as const;
  readonly kernels: GpuGameKernels;
  readonly ctx: GpuContext;
  /** agents (the state size) */
  readonly agents: number;
  /** sweep workgroups and their size */
  readonly sweep: { workgroups: number; size: number };
  /** the solver's scheme (src/fused/schemes.ts), and its number of stages */
  readonly scheme: FusedScheme;
  private readonly stages: number;
  /** the radix digits of the quantile's passes (empty for a fraction) */
  readonly radix: number[];
  private readonly width: number;
  private readonly layers: number;
  private readonly parameterCount: number;
  private readonly program: Program;
  private readonly buffers = {} as Record<BufferName, any>;
  private readonly capacity = {} as Record<BufferName, number>;
  private bindGroup0: any = null;
  private records: any = null;
  private recordCapacity = 0;
  private recordGroups: any[] = [];
  /** the records last uploaded */
  private written: Uint32Array | null = null;
  private lastPath: { values: Float64Array } | null = null;
  /** the game's data drawn when it was built (uploaded once) */
  private readonly constants: Float32Array;
  private constantsUploaded = false;
  /** the observation batch whose constants sit in the data buffer */
  private lastObservations: { values: Float32Array; n: number; base: number; length: number } | null = null;
  /** 'host': model.params is the master copy, uploaded before every call; 'gpu': the GPU's copy is */
  private paramsAt: 'host' | 'gpu' = 'host';
  private optimizer: {
    cfg: OptimizerConfig;
    step: number;
    m: any;
    v: any;
    status: any;
    uniform: any;
    group0: any;
    group1: any;
    program: OptimizerProgram;
  } | null = null;
  /** what the last call moved and ran */
  lastCall: GpuCallCounts = { dispatches: 0, submits: 0, reads: 0, readBytes: 0, writes: 0, writeBytes: 0 };

  constructor(private readonly input: EngineInput<C>) {
    const ctx = gpuContext();
    if (!ctx) {
      throw new GpuNotStartedError('the fused GPU engine needs the GPU started first: await startGpu() (src/gpu/device.ts); the run layer does it when it chooses this engine (src/run/engine.ts)');
    }
    this.ctx = ctx;
    const { game, config, dynamics, spec } = input;
    const why = gpuUnsupported(game, config);
    if (why) throw new Error(`the fused GPU engine cannot run this: ${why}`);
    this.agents = config.agents;
    const mlp = new FusedMlp(spec);
    this.parameterCount = mlp.parameterCount;
    if (this.parameterCount !== input.params.length) {
      throw new Error(`the network has ${this.parameterCount} parameters, the model holds ${input.params.length}`);
    }
    this.width = spec.width;
    this.layers = spec.depth + 1;
    // drawn now, as the CPU engines draw their kernels' randomness when they are built
    this.kernels = game.gpuKernels!(config, dynamics);
    this.scheme = fusedScheme(config.solver);
    this.stages = this.scheme.b.length;
    const limits = ctx.limits;
    // a power of two (the tree reductions halve it)
    const wg = 2 ** Math.floor(Math.log2(Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)));
    this.sweep = { size: wg, workgroups: Math.max(1, Math.min(Math.ceil(this.agents / wg), MAX_SWEEP_WORKGROUPS)) };
    const forced = process.env.NEURAL_MFG_GPU_RADIX_BITS;
    const wide = forced ? forced === '11' : selectWorkgroupBytes(radixPasses(11), wg) + 4 * wg * 4 + 1024 <= limits.maxComputeWorkgroupStorageSize;
    this.radix = this.kernels.statistic.kind === 'quantile' ? radixPasses(wide ? 11 : 8) : [];
    this.program = this.compile();
    this.allocate('params', this.parameterCount);
    this.allocate('grads', this.parameterCount);
    for (const name of ['ys', 'work', 'hist', 'noise', 'data', 'oslope'] as const) this.allocate(name, 4);
    this.constants = this.kernels.constants ?? new Float32Array(0);
  }

  // -------------------------------------------------------------------------------------------
  // set-up

  private compile(): Program {
    const { ctx } = this;
    const source = solveProgram({
      agents: this.agents,
      width: this.width,
      layers: this.layers,
      activation: this.input.spec.activation,
      outputActivation: this.input.spec.outputActivation,
      statistic: this.kernels.statistic.kind,
      radix: this.radix.length ? this.radix : radixPasses(8),
      wg: this.sweep.size,
      g: this.sweep.workgroups,
      gameWgsl: this.kernels.wgsl,
      driftVjp: this.kernels.driftVjp,
      scheme: this.scheme,
    });
    const cached = ctx.programs.get(source) as Program | undefined;
    if (cached) return cached;
    const device = ctx.device;
    const stage = ctx.globals.GPUShaderStage.COMPUTE;
    const layout0 = device.createBindGroupLayout({
      label: 'solve buffers',
      entries: BUFFERS.map((_, binding) => ({ binding, visibility: stage, buffer: { type: 'storage' } })),
    });
    const layout1 = device.createBindGroupLayout({
      label: 'solve step',
      entries: [{ binding: 0, visibility: stage, buffer: { type: 'uniform' } }],
    });
    const layout = device.createPipelineLayout({ bindGroupLayouts: [layout0, layout1] });
    const module = device.createShaderModule({ code: source, label: `${this.input.game.name} solve` });
    const pipelines = {} as Record<Entry, any>;
    for (const entry of ENTRIES) {
      pipelines[entry] = device.createComputePipeline({ layout, compute: { module, entryPoint: entry }, label: entry });
    }
    ctx.flush(); // compile errors surface here, not in the first call
    const program = { pipelines, layout0, layout1 };
    ctx.programs.set(source, program);
    return program;
  }

  /** Makes buffer `name` hold at least `floats` 32-bit values (it may move: bind groups are rebuilt). */
  private allocate(name: BufferName, floats: number): void {
    const bytes = Math.max(16, floats * 4);
    if ((this.capacity[name] ?? 0) >= bytes) return;
    const limit = this.ctx.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new Error(
        `the GPU engine needs ${(bytes / 2 ** 20).toFixed(0)} MiB in one buffer (${name}) for this solve; ` +
          `this adapter binds at most ${(limit / 2 ** 20).toFixed(0)} MiB: fewer agents, steps or trajectories`,
      );
    }
    const size = Math.min(limit, Math.max(bytes, Math.ceil((this.capacity[name] ?? 0) * 1.5)));
    this.buffers[name]?.destroy();
    this.buffers[name] = this.ctx.createBuffer(size, name);
    this.capacity[name] = this.buffers[name].size;
    this.bindGroup0 = null;
    if (name === 'noise') this.lastPath = null;
    if (name === 'data') {
      this.constantsUploaded = false;
      this.lastObservations = null;
    }
  }

  private group0(): any {
    this.bindGroup0 ??= this.ctx.device.createBindGroup({
      layout: this.program.layout0,
      entries: BUFFERS.map((name, binding) => ({ binding, resource: { buffer: this.buffers[name] } })),
    });
    return this.bindGroup0;
  }

  /** Makes room for `count` dispatch records (their bind groups are made as they are first used). */
  private reserveRecords(count: number): void {
    if (count > this.recordCapacity) {
      this.recordCapacity = Math.max(64, count, this.recordCapacity * 2);
      this.records?.destroy();
      this.written = null;
      const u = this.ctx.usage;
      this.records = this.ctx.createBuffer(this.recordCapacity * STEP_RECORD_BYTES, 'step records', u.UNIFORM | u.COPY_DST);
      this.recordGroups = [];
    }
  }

  private recordGroup(index: number): any {
    this.recordGroups[index] ??= this.ctx.device.createBindGroup({
      layout: this.program.layout1,
      entries: [{ binding: 0, resource: { buffer: this.records, offset: index * STEP_RECORD_BYTES, size: STEP_FIELDS.length * 4 } }],
    });
    return this.recordGroups[index];
  }

  // -------------------------------------------------------------------------------------------
  // one call

  /** The byte layout of a call: offsets into ys and work (floats), and the histogram slot (u32). */
  private layout(n: number, steps: number, saves: number) {
    const S = this.agents;
    const W = this.width;
    const G = this.sweep.workgroups;
    const block = n * S;
    // the stage inputs' slots (step·stages + stage; step `steps` the final state), then the reverse
    // pass's adjoint and second seed, the saved states, and with several stages their contributions
    // K_s, K̄_s, Ȳ_s and the sum of the Ȳ
    const slots = steps * this.stages + 1;
    const k = (slots + 2 + saves) * block;
    const ys = { stride: block, adj: slots * block, seed2: (slots + 1) * block, out: (slots + 2) * block, k, kbar: k + this.stages * block, ybar: k + (this.stages + 1) * block, acc: k + (this.stages + 2) * block };
    const yFloats = k + (this.stages + 3) * block;
    const tape = 2 * G * n * W;
    const stats = tape + Math.max(slots - 1, 1) * n * (this.layers - 1) * 2 * W;
    const delta = stats + slots * n;
    const loss = delta + n * W;
    const savesAt = loss + G;
    const msum = savesAt + 4 * Math.max(saves, 1);
    const workFloats = msum + G * n;
    const quantile = this.kernels.statistic.kind === 'quantile';
    const bins = quantile ? 1 << Math.max(...this.radix) : 0;
    const histSlot = quantile ? this.radix.length * n * 2 * bins + (this.radix.length - 1) * n * 4 : n;
    return {
      ys,
      yFloats,
      work: { part: 0, back: G * n * W, tape, stats, delta, loss, saves: savesAt, msum },
      workFloats,
      histSlot,
    };
  }

  /**
   * Everything a call shares: uploads (parameters, initial states, path, game data, observation
   * constants) and the fields common to its dispatch records.
   */
  private begin(req: SolveRequest, steps: number, saves: number, observations: ObservationBatch | null) {
    const n = req.trajectories;
    const S = this.agents;
    if (req.y0.length !== n * S) throw new Error(`GPU solve: y0 has ${req.y0.length} values, expected ${n} × ${S}`);
    const lay = this.layout(n, steps, saves);
    this.allocate('ys', lay.yFloats);
    this.allocate('work', lay.workFloats);
    this.allocate('hist', 2 * lay.histSlot);
    const OUT_SLOPE = this.input.spec.outputActivation !== 'identity';
    if (OUT_SLOPE) this.allocate('oslope', Math.max(steps * this.stages, 1) * n * S);
    // the game's data: constants, per-step draws, observation constants
    const stepSize = this.kernels.stepData?.size(n) ?? 0;
    const stepBase = align4(this.constants.length);
    const obsBase = align4(stepBase + steps * stepSize);
    // the observations' constants: computed on the host once per batch (a batch used again, like
    // the validation set or a benchmark's, is neither recomputed nor uploaded again)
    const cached = this.lastObservations;
    const sameObs = observations !== null && cached !== null && cached.values === observations.values && cached.n === n && cached.base === obsBase;
    let obs = observations && !sameObs ? this.kernels.observations(observations.values, observations.shape[0], n) : new Float32Array(0);
    this.allocate('data', obsBase + (sameObs ? cached!.length : obs.length) + 4);
    if (observations && sameObs && this.lastObservations === null) obs = this.kernels.observations(observations.values, observations.shape[0], n);
    if (this.params !== 'gpu-resident') this.ctx.write(this.buffers.params, 0, this.input.params);
    this.ctx.write(this.buffers.ys, 0, req.y0);
    if (!this.constantsUploaded) {
      this.ctx.write(this.buffers.data, 0, this.constants);
      this.constantsUploaded = true;
    }
    if (this.kernels.stepData && steps > 0) this.ctx.write(this.buffers.data, stepBase * 4, this.kernels.stepData.draw(steps, n));
    if (obs.length) {
      this.ctx.write(this.buffers.data, obsBase * 4, obs);
      this.lastObservations = { values: observations!.values, n, base: obsBase, length: obs.length };
    }
    // the Brownian path [steps, trajectories (1: shared), per trajectory (1: common noise)]
    let noise = { step: 0, tr: 0, per: 0, on: false };
    if (req.path) {
      const { values, shape } = req.path;
      const tr = shape[0];
      const per = shape.slice(1).reduce((a, b) => a * b, 1);
      if (tr !== 1 && tr !== n) throw new Error(`GPU solve: a path of ${tr} trajectories for ${n}`);
      if (per !== 1 && per !== S) throw new Error(`GPU solve: a path of ${per} values per trajectory for ${S} agents`);
      if (this.lastPath?.values !== values) {
        this.allocate('noise', values.length);
        this.ctx.write(this.buffers.noise, 0, Float32Array.from(values));
        this.lastPath = { values };
      }
      noise = { step: tr * per, tr: tr === 1 ? 0 : per, per: per === 1 ? 0 : 1, on: this.input.config.noise.sigma !== 0 };
    }
    const { config } = this.input;
    const quantile = this.kernels.statistic.kind === 'quantile' ? this.kernels.statistic : null;
    const rank = quantile ? quantile.q * (S - 1) : 0;
    const lo = Math.floor(rank);
    const common: Partial<Record<StepField, number>> = {
      n,
      lo,
      hi: Math.min(lo + 1, S - 1),
      frac: fround(rank - lo),
      dt: fround(config.time.dt),
      sigma: fround(config.noise.sigma),
      noise_step: noise.step,
      noise_tr: noise.tr,
      noise_per: noise.per,
      step_base: stepBase,
      step_stride: stepSize,
      obs_base: obsBase,
      off_part: lay.work.part,
      off_back: lay.work.back,
      off_tape: lay.work.tape,
      off_stats: lay.work.stats,
      off_delta: lay.work.delta,
      off_loss: lay.work.loss,
      off_saves: lay.work.saves,
      off_msum: lay.work.msum,
      off_k: lay.ys.k,
      off_kbar: lay.ys.kbar,
      off_ybar: lay.ys.ybar,
      off_acc: lay.ys.acc,
      stride: lay.ys.stride,
      off_adj: lay.ys.adj,
      off_seed2: lay.ys.seed2,
      off_out: lay.ys.out,
      hist_slot: lay.histSlot,
    };
    return { n, lay, common, noise: noise.on, network: req.network };
  }

  /**
   * The dispatches of the forward solve: for each stage of each step (slot k = step·stages + stage),
   * the statistic and network of its input, then its update.
   */
  private forward(list: Dispatch[], steps: number, n: number, network: boolean, noise: boolean): void {
    const G = this.sweep.workgroups;
    const net = network ? FLAG.network : 0;
    list.push({ entry: 'advance', workgroups: G, fields: { k: 0, flags: FLAG.next | net } });
    const slots = steps * this.stages;
    for (let k = 0; k < slots; k++) {
      const step = Math.floor(k / this.stages);
      const stage = k % this.stages;
      if (this.kernels.statistic.kind === 'quantile') {
        for (let p = 1; p < this.radix.length; p++) {
          const first = p === 1;
          list.push({
            entry: 'radix',
            workgroups: G + (first && network ? n : 0),
            fields: { k, pass_: p, flags: net | (first ? FLAG.zeroNext : 0) },
          });
        }
      } else {
        list.push({ entry: 'finalize', workgroups: n, fields: { k, flags: net | FLAG.zeroNext } });
      }
      const flags = FLAG.update | (k + 1 < slots ? FLAG.next : 0) | net | (noise ? FLAG.noise : 0);
      list.push({ entry: 'advance', workgroups: G, fields: { k, step, stage, flags } });
    }
  }

  /** The loss of the final save and, with `grad`, the whole reverse pass. */
  private lossAndReverse(list: Dispatch[], position: { k: number; frac: number }, steps: number, grad: boolean, network: boolean, observe: boolean): void {
    const G = this.sweep.workgroups;
    const net = network ? FLAG.network : 0;
    const interp = position.frac > 0 ? 1 : 0;
    const reverse = grad && network && steps > 0;
    const S = this.stages;
    list.push({
      entry: 'loss_seed',
      workgroups: G,
      fields: {
        k: Math.max(steps - 1, 0),
        kf: position.k,
        interp,
        wa: fround(1 - position.frac),
        wb: fround(position.frac),
        // several stages: the output layer's reverse runs per stage (stage_seed), not here
        flags: (S === 1 ? net : 0) | (observe ? FLAG.observe : 0) | (reverse ? FLAG.grad : 0),
      },
    });
    if (!reverse) return;
    for (let step = steps - 1; step >= 0; step--) {
      const seed2 = interp && step === position.k ? FLAG.seed2 : 0;
      if (S === 1) {
        list.push({ entry: 'reverse_mid', workgroups: 1, fields: { k: step } });
        list.push({ entry: 'reverse_step', workgroups: G, fields: { k: step, step, flags: net | (step >= 1 ? FLAG.grad : 0) | seed2 } });
        continue;
      }
      // stage by stage from the last: K̄_s and the output layer, the hidden layers, Ȳ_s and the first layer
      for (let stage = S - 1; stage >= 0; stage--) {
        const k = step * S + stage;
        list.push({ entry: 'stage_seed', workgroups: G, fields: { k, step, stage, flags: net } });
        list.push({ entry: 'reverse_mid', workgroups: 1, fields: { k } });
        list.push({ entry: 'stage_back', workgroups: G, fields: { k, step, stage, flags: net | (stage === 0 ? seed2 : 0) } });
      }
    }
  }

  /** Writes the records, encodes every dispatch in one compute pass; returns the encoder. */
  private encode(list: Dispatch[], common: Partial<Record<StepField, number>>, clear: { hist: number; grads: boolean }): any {
    const { ctx } = this;
    const records = new ArrayBuffer(list.length * STEP_RECORD_BYTES);
    const u32 = new Uint32Array(records);
    const f32 = new Float32Array(records);
    list.forEach((d, index) => {
      const base = (index * STEP_RECORD_BYTES) / 4;
      STEP_FIELDS.forEach(([name, type], f) => {
        const v = d.fields[name] ?? common[name] ?? 0;
        if (type === 'f32') f32[base + f] = v;
        else u32[base + f] = v;
      });
    });
    this.reserveRecords(list.length);
    const groups = list.map((_, i) => this.recordGroup(i));
    // the records repeat from call to call of the same shape: upload them only when they change
    if (!sameWords(this.written, u32)) {
      ctx.write(this.records, 0, u32);
      this.written = u32;
    }
    const encoder = ctx.device.createCommandEncoder();
    if (clear.hist > 0) encoder.clearBuffer(this.buffers.hist, 0, Math.ceil((clear.hist * 4) / 16) * 16);
    if (clear.grads) encoder.clearBuffer(this.buffers.grads, 0, Math.ceil((this.parameterCount * 4) / 16) * 16);
    const pass = encoder.beginComputePass();
    const bg0 = this.group0();
    let current: any = null;
    list.forEach((d, i) => {
      const pipeline = this.program.pipelines[d.entry];
      if (pipeline !== current) {
        pass.setPipeline(pipeline);
        // every pipeline shares one layout: the buffers stay bound across pipeline changes
        if (current === null) pass.setBindGroup(0, bg0);
        current = pipeline;
      }
      pass.setBindGroup(1, groups[i]);
      pass.dispatchWorkgroups(d.workgroups);
    });
    pass.end();
    ctx.counters.dispatches += list.length;
    return encoder;
  }

  private measure<T>(run: () => T): T {
    const before = { ...this.ctx.counters };
    try {
      return run();
    } finally {
      for (const key of Object.keys(before) as (keyof GpuCounters)[]) this.lastCall[key] = this.ctx.counters[key] - before[key];
    }
  }

  private lossPartials(bytes: ArrayBuffer): number {
    let sum = 0;
    for (const v of new Float32Array(bytes)) sum += v;
    return sum;
  }

  private finalPosition(): { k: number; frac: number; steps: number } {
    const { t0, t1, dt } = this.input.config.time;
    const plan = savePlan(saveTimes('final', this.input.config.time), t0, t1, dt);
    return { ...plan.positions[0], steps: plan.steps };
  }

  // -------------------------------------------------------------------------------------------
  // the Engine interface

  simulate(req: SolveRequest): SolveResult {
    return this.measure(() => {
      const saveAt = saveTimes(req.saveAt, this.input.config.time);
      const { t0, t1, dt } = this.input.config.time;
      const plan = savePlan(saveAt, t0, t1, dt);
      const saves = plan.positions.length;
      const call = this.begin(req, plan.steps, saves, null);
      const positions = new Float32Array(4 * saves);
      plan.positions.forEach(({ k, frac }, s) => positions.set([k, frac > 0 ? 1 : 0, fround(1 - frac), fround(frac)], 4 * s));
      this.ctx.write(this.buffers.work, call.lay.work.saves * 4, positions);
      const list: Dispatch[] = [];
      this.forward(list, plan.steps, call.n, call.network, call.noise);
      list.push({ entry: 'gather', workgroups: this.sweep.workgroups, fields: { saves } });
      const encoder = this.encode(list, call.common, { hist: 2 * call.lay.histSlot, grads: false });
      const block = call.n * this.agents;
      const [bytes] = this.ctx.submitAndRead(encoder, [{ buffer: this.buffers.ys, offset: call.lay.ys.out * 4, size: saves * block * 4 }]);
      return { states: new Float32Array(bytes), saveAt: saveAt.slice() };
    });
  }

  loss(req: SolveRequest, observations: ObservationBatch): number {
    return this.measure(() => this.run(req, observations, false).loss);
  }

  lossOfStates(final: Float32Array, trajectories: number, observations: ObservationBatch): number {
    return this.measure(() => {
      const req: SolveRequest = { y0: final, trajectories, path: null, network: false };
      const call = this.begin(req, 0, 0, observations);
      const list: Dispatch[] = [];
      this.lossAndReverse(list, { k: 0, frac: 0 }, 0, false, false, false);
      const encoder = this.encode(list, call.common, { hist: 0, grads: false });
      const [bytes] = this.ctx.submitAndRead(encoder, [{ buffer: this.buffers.work, offset: call.lay.work.loss * 4, size: this.sweep.workgroups * 4 }]);
      return this.lossPartials(bytes);
    });
  }

  lossAndGradient(req: SolveRequest, observations: ObservationBatch): { loss: number; gradient: Float32Array } {
    return this.measure(() => {
      const { loss, gradient } = this.run(req, observations, true);
      return { loss, gradient: gradient ?? new Float32Array(this.parameterCount) };
    });
  }

  /** One call: forward, loss, and with `grad` the reverse pass; reads the loss (and the gradient). */
  private run(req: SolveRequest, observations: ObservationBatch, grad: boolean, opt = false): { loss: number; gradient: Float32Array | null; finite: boolean } {
    const position = this.finalPosition();
    const steps = position.steps;
    const call = this.begin(req, steps, 0, observations);
    const list: Dispatch[] = [];
    this.forward(list, steps, call.n, call.network, call.noise);
    const reverse = grad && req.network;
    this.lossAndReverse(list, position, steps, reverse, call.network, true);
    // (with the optimiser, a solve without the network still hands it a zero gradient)
    const encoder = this.encode(list, call.common, { hist: 2 * call.lay.histSlot, grads: reverse || opt });
    const regions = [{ buffer: this.buffers.work, offset: call.lay.work.loss * 4, size: this.sweep.workgroups * 4 }];
    if (opt) {
      this.encodeOptimizer(encoder);
      regions.push({ buffer: this.optimizer!.status, offset: 0, size: 4 });
    } else if (reverse) {
      regions.push({ buffer: this.buffers.grads, offset: 0, size: this.parameterCount * 4 });
    }
    const bytes = this.ctx.submitAndRead(encoder, regions);
    const loss = this.lossPartials(bytes[0]);
    if (opt) return { loss, gradient: null, finite: new Uint32Array(bytes[1])[0] === 0 };
    return { loss, gradient: reverse ? new Float32Array(bytes[1]) : null, finite: true };
  }

  // -------------------------------------------------------------------------------------------
  // training with the parameters on the GPU

  /** Where the parameters' master copy is: the model's host array (default) or the GPU. */
  get params(): 'host' | 'gpu-resident' {
    return this.paramsAt === 'gpu' ? 'gpu-resident' : 'host';
  }

  /**
   * Runs the optimiser on the GPU from now on (AdaBelief or Adam as src/train/optimizers.ts, from
   * `state` or afresh). The parameters are uploaded once and then stay on the GPU: the model's
   * host array is stale until `downloadParams()`.
   */
  attachOptimizer(cfg: OptimizerConfig, state?: OptimizerState): void {
    const { ctx } = this;
    const P = this.parameterCount;
    const device = ctx.device;
    const source = optimizerProgram(this.sweep.size);
    let program = ctx.programs.get(source) as OptimizerProgram | undefined;
    if (!program) {
      const stage = ctx.globals.GPUShaderStage.COMPUTE;
      const layout0 = device.createBindGroupLayout({
        entries: [0, 1, 2, 3, 4].map((binding) => ({ binding, visibility: stage, buffer: { type: 'storage' } })),
      });
      const layout1 = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: stage, buffer: { type: 'uniform' } }] });
      const module = device.createShaderModule({ code: source, label: 'optimizer' });
      const pipeline = device.createComputePipeline({
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout0, layout1] }),
        compute: { module, entryPoint: 'step' },
      });
      ctx.flush();
      program = { pipeline, layout0, layout1 };
      ctx.programs.set(source, program);
    }
    const m = ctx.createBuffer(P * 4, 'optimizer m');
    const v = ctx.createBuffer(P * 4, 'optimizer v');
    const status = ctx.createBuffer(16, 'optimizer status');
    const uniform = ctx.createBuffer(256, 'optimizer constants', ctx.usage.UNIFORM | ctx.usage.COPY_DST);
    if (state) {
      if (state.m.length !== P || state.v.length !== P) throw new Error(`optimizer state has ${state.m.length} entries, the network has ${P}`);
      ctx.write(m, 0, state.m);
      ctx.write(v, 0, state.v);
    } else {
      ctx.write(m, 0, new Float32Array(P));
      ctx.write(v, 0, new Float32Array(P));
    }
    ctx.write(this.buffers.params, 0, this.input.params);
    this.paramsAt = 'gpu';
    const group0 = device.createBindGroup({
      layout: program.layout0,
      entries: [this.buffers.params, this.buffers.grads, m, v, status].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const group1 = device.createBindGroup({ layout: program.layout1, entries: [{ binding: 0, resource: { buffer: uniform } }] });
    this.optimizer?.m.destroy();
    this.optimizer?.v.destroy();
    this.optimizer = { cfg, step: state?.step ?? 0, m, v, status, uniform, group0, group1, program };
  }

  private encodeOptimizer(encoder: any): void {
    const o = this.optimizer!;
    o.step += 1;
    const { cfg } = o;
    const words = new ArrayBuffer(48);
    const u = new Uint32Array(words);
    const f = new Float32Array(words);
    u[0] = this.parameterCount;
    u[1] = cfg.name === 'adabelief' ? 1 : 0;
    f.set([cfg.beta1, cfg.beta2, 1 - cfg.beta1, 1 - cfg.beta2, cfg.learningRate, cfg.eps, cfg.epsRoot, 1 - Math.pow(cfg.beta1, o.step), 1 - Math.pow(cfg.beta2, o.step)].map(fround), 2);
    this.ctx.write(o.uniform, 0, u);
    encoder.clearBuffer(o.status, 0, 16);
    const pass = encoder.beginComputePass();
    pass.setPipeline(o.program.pipeline);
    pass.setBindGroup(0, o.group0);
    pass.setBindGroup(1, o.group1);
    pass.dispatchWorkgroups(Math.min(Math.ceil(this.parameterCount / this.sweep.size), 4096));
    pass.end();
    this.ctx.counters.dispatches += 1;
  }

  /**
   * One training step on the GPU: loss, gradient and the optimiser's update of the parameters
   * (attachOptimizer first), one submission and one read — the loss, and whether every parameter
   * is still finite.
   */
  trainStep(req: SolveRequest, observations: ObservationBatch): { loss: number; finite: boolean } {
    if (!this.optimizer) throw new Error('trainStep: attachOptimizer() first');
    return this.measure(() => {
      const { loss, finite } = this.run(req, observations, true, true);
      return { loss, finite };
    });
  }

  /** Copies the GPU's parameters into the model's host array (one read); they stay on the GPU. */
  downloadParams(): Float32Array {
    if (this.paramsAt === 'gpu') {
      const encoder = this.ctx.device.createCommandEncoder();
      const [bytes] = this.ctx.submitAndRead(encoder, [{ buffer: this.buffers.params, offset: 0, size: this.parameterCount * 4 }]);
      this.input.params.set(new Float32Array(bytes));
    }
    return this.input.params;
  }

  /** The GPU optimiser's state (one read), as src/train/optimizers.ts saves it in checkpoints. */
  optimizerState(): OptimizerState {
    const o = this.optimizer;
    if (!o) throw new Error('optimizerState: no optimiser attached');
    const encoder = this.ctx.device.createCommandEncoder();
    const P = this.parameterCount * 4;
    const [m, v] = this.ctx.submitAndRead(encoder, [{ buffer: o.m, offset: 0, size: P }, { buffer: o.v, offset: 0, size: P }]);
    return { step: o.step, m: new Float32Array(m), v: new Float32Array(v) };
  }

  /** Makes the model's host array the master copy again (after downloadParams, or to set new values). */
  detachOptimizer(): void {
    if (this.paramsAt === 'gpu') this.downloadParams();
    this.paramsAt = 'host';
    this.optimizer?.m.destroy();
    this.optimizer?.v.destroy();
    this.optimizer = null;
  }
}

function sameWords(a: Uint32Array | null, b: Uint32Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
