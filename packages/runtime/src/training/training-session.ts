/** The training step runner, generic over onnxruntime-node and onnxruntime-web. */
import type {
  TrainingBatch,
  TrainingSessionInfo,
  TrainingSessionOptions,
  TrainingStepGraph,
  TrainingStepOptions,
  TrainingStepResult,
} from './types.js';
import { WaitTrials } from './wait-trials.js';

/** A tensor as both onnxruntime packages expose it. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  /** onnxruntime-web: the data of a tensor that lives on the GPU. */
  getData?(): Promise<unknown>;
  dispose?(): void;
}

/** An open onnxruntime session, as both packages expose it. */
export interface OrtTrainingSession {
  run(
    feeds: Record<string, OrtTensor>,
    fetches?: Record<string, OrtTensor | null> | readonly string[],
  ): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
  endProfiling?(): void;
}

/** What an entry (node, web) supplies: how to open a session and make tensors. */
export interface TrainingBackend {
  device: string;
  provider: string;
  /** Opens the step's session with the entry's session options. */
  open(bytes: Uint8Array, options: TrainingSessionOptions): Promise<OrtTrainingSession>;
  tensor(type: 'float32', data: Float32Array, dims: readonly number[]): OrtTensor;
  tensor(type: 'int32', data: Int32Array, dims: readonly number[]): OrtTensor;
  /**
   * Whether `run` writes into preallocated output tensors (onnxruntime-node); otherwise the session adopts
   * the tensors `run` returns as the next state.
   */
  preallocatedOutputs: boolean;
  /**
   * Whether a session opened with these options has intra-op threads that can spin-wait (onnxruntime-node's
   * CPU provider with more than one thread), so that `spinWait: 'auto'` has two ways to time.
   */
  canSpin?(options: TrainingSessionOptions): boolean;
}

/** One carried tensor's two buffers: fed from one, the next value written into the other. */
interface Carried {
  name: string;
  input: string;
  output: string;
  shape: number[];
  tensors: [OrtTensor, OrtTensor];
}

let openSession: TrainingSession | null = null;

function size(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function checkState(
  graph: TrainingStepGraph,
  state: ReadonlyMap<string, Float32Array>,
  partial: boolean,
): void {
  const known = new Set(graph.state.map((tensor) => tensor.name));
  for (const name of state.keys()) {
    if (!known.has(name)) throw new RangeError(`the training graph carries no tensor named '${name}'`);
  }
  for (const tensor of graph.state) {
    const values = state.get(tensor.name);
    if (values === undefined) {
      if (partial) continue;
      throw new RangeError(`the state has no value for '${tensor.name}' (${tensor.kind})`);
    }
    if (!(values instanceof Float32Array) || values.length !== size(tensor.shape)) {
      throw new RangeError(
        `'${tensor.name}' must be a Float32Array of ${size(tensor.shape)} values (shape [${tensor.shape.join(', ')}]); got ${values?.length}`,
      );
    }
  }
}

/**
 * Runs a training graph built by `@cnnx/export`'s `buildTrainingGraph` (or `loopTrainingGraph`, several steps
 * a run), step after step, holding the parameters, optimizer slots and batch-norm statistics between runs: in
 * onnxruntime-node in two sets of preallocated tensors that swap roles each run (fed from one, written into
 * the other; onnxruntime-node still copies every output into a new buffer, which the looped graph pays once
 * per run), in onnxruntime-web in the tensors each run returns. One session at a time per process: an idle
 * onnxruntime session keeps its thread pool spinning and slows the one that works. On onnxruntime-node's CPU
 * provider it holds a second onnxruntime session of the same graph, whose threads spin, and times the two on
 * its steps to run the faster (`spinWait: 'auto'`, `wait-trials.ts`).
 *
 * @example
 * const session = await TrainingSession.open(step, readTrainingState(model, step), { threads: 2 });
 * const { loss, correct } = await session.step({ images, labels, count: 64 }, { learningRate: 0.001 });
 * writeTrainedWeights(model, step, await session.readState());
 * await session.release();
 */
export class TrainingSession {
  readonly info: TrainingSessionInfo;
  private readonly carried: Carried[];
  private current: 0 | 1 = 0;
  private stepsDone = 0;
  /** Buffers the batches of a looped run are joined in, by what they hold. */
  private readonly joinBuffers = new Map<string, Float32Array | Int32Array>();
  private released = false;
  /** With `spinWait: 'auto'`: the session whose threads spin, opened at the first trial, beside `session`. */
  private spinningSession: OrtTrainingSession | null = null;

  protected constructor(
    private readonly graph: TrainingStepGraph,
    private readonly backend: TrainingBackend,
    private readonly session: OrtTrainingSession,
    state: ReadonlyMap<string, Float32Array>,
    private readonly options: TrainingSessionOptions,
    private trials: WaitTrials | null,
  ) {
    this.info = {
      device: backend.device,
      provider: backend.provider,
      threads: options.threads || null,
      spinWait: options.spinWait === true,
      waitTrials: trials === null ? null : { trials: 0, sleepingMs: null, spinningMs: null },
    };
    this.carried = graph.state.map((tensor) => {
      const initial = Float32Array.from(state.get(tensor.name)!);
      const spare = new Float32Array(initial.length);
      return {
        name: tensor.name,
        input: tensor.input,
        output: tensor.output,
        shape: tensor.shape,
        tensors: [
          backend.tensor('float32', initial, tensor.shape),
          backend.tensor('float32', spare, tensor.shape),
        ],
      };
    });
  }

  /**
   * Opens a session for `graph` on `backend`, starting from `state` (every parameter, slot and statistic
   * by its tfjs name, as `@cnnx/export`'s `readTrainingState` gives them) after `iterations` steps.
   * Entries call this; use `TrainingSession.open` of `@cnnx/runtime`.
   *
   * @example
   * const session = await TrainingSession.create(step, state, cpuTrainingBackend, {});
   */
  static async create(
    graph: TrainingStepGraph,
    state: ReadonlyMap<string, Float32Array>,
    backend: TrainingBackend,
    options: TrainingSessionOptions = {},
    iterations = 0,
  ): Promise<TrainingSession> {
    if (openSession !== null) {
      throw new Error(
        'a training session is already open in this process; release() it first (an idle onnxruntime session keeps its threads spinning)',
      );
    }
    if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 0)) {
      throw new RangeError(`'threads' must be an integer ≥ 0, got ${options.threads}`);
    }
    if (!Number.isInteger(iterations) || iterations < 0) {
      throw new RangeError(`'iterations' must be an integer ≥ 0, got ${iterations}`);
    }
    checkState(graph, state, false);
    const spinWait = options.spinWait ?? (options.profileFilePrefix ? false : 'auto');
    if (spinWait !== true && spinWait !== false && spinWait !== 'auto') {
      throw new RangeError(`'spinWait' must be true, false or 'auto', got ${String(spinWait)}`);
    }
    const trials = spinWait === 'auto' && backend.canSpin?.(options) === true ? new WaitTrials() : null;
    const settled = { ...options, spinWait: spinWait === true };
    const ortSession = await backend.open(graph.bytes, settled);
    const session = new this(graph, backend, ortSession, state, settled, trials);
    session.stepsDone = iterations;
    openSession = session;
    return session;
  }

  /** Steps done so far (the optimizer's iteration count, tfjs's `iter`). */
  get iterations(): number {
    return this.stepsDone;
  }

  private assertOpen(): void {
    if (this.released) throw new Error('the training session was released');
  }

  /**
   * Runs one training step on `batch` at `learningRate`: forward, loss, backward and the optimizer's update.
   *
   * @example
   * await session.step({ images, labels, count: 64 }, { learningRate: 0.001 }); // → { loss: 2.29, correct: 7 }
   */
  async step(batch: TrainingBatch, options: TrainingStepOptions): Promise<TrainingStepResult> {
    const [result] = await this.steps([batch], {
      learningRate: options.learningRate,
      ...(options.seed === undefined ? {} : { seeds: [options.seed] }),
    });
    return result!;
  }

  /**
   * Runs one training step per batch, in order, at `learningRate`; `seeds` gives each step's dropout seed
   * (default: the step numbers). A graph from `loopTrainingGraph` takes consecutive batches of one size in a
   * single onnxruntime run; a step graph runs them one by one. Either way the results are the same.
   *
   * @example
   * await session.steps([first, second], { learningRate: 0.001 });
   * // → [{ loss: 2.29, correct: 7 }, { loss: 2.1, correct: 12 }]
   */
  async steps(
    batches: readonly TrainingBatch[],
    options: { learningRate: number; seeds?: readonly number[] },
  ): Promise<TrainingStepResult[]> {
    this.assertOpen();
    if (!Number.isFinite(options.learningRate)) {
      throw new RangeError(`'learningRate' must be a finite number, got ${options.learningRate}`);
    }
    if (options.seeds !== undefined && options.seeds.length !== batches.length) {
      throw new RangeError(
        `'seeds' must hold one seed per batch (${batches.length}), got ${options.seeds.length}`,
      );
    }
    for (const batch of batches) this.checkBatch(batch);
    const results: TrainingStepResult[] = [];
    let first = 0;
    while (first < batches.length) {
      // a looped graph's run takes the batches up to the next change of size; a step graph's, one batch
      let end = first + 1;
      if (this.graph.loop) {
        while (end < batches.length && batches[end]!.count === batches[first]!.count) end += 1;
      }
      const run = batches.slice(first, end);
      const seeds = run.map((_, index) => options.seeds?.[first + index] ?? this.stepsDone + index);
      results.push(...(await this.run(run, options.learningRate, seeds)));
      first = end;
    }
    return results;
  }

  /** Throws a RangeError or TypeError naming what is wrong with `batch` for this graph. */
  private checkBatch(batch: TrainingBatch): void {
    const { graph } = this;
    const pixels = size(graph.imageShape);
    if (!Number.isInteger(batch.count) || batch.count < 1) {
      throw new RangeError(`'batch.count' must be an integer ≥ 1, got ${batch.count}`);
    }
    if (!(batch.images instanceof Float32Array) || batch.images.length !== batch.count * pixels) {
      throw new RangeError(
        `'batch.images' must be a Float32Array of ${batch.count} × ${pixels} values, got ${batch.images?.length}`,
      );
    }
    const sparse = graph.loss === 'sparse-categorical-crossentropy';
    const labelCount = sparse ? batch.count : batch.count * graph.classes;
    if (sparse ? !(batch.labels instanceof Int32Array) : !(batch.labels instanceof Float32Array)) {
      throw new TypeError(
        `'batch.labels' must be ${sparse ? 'an Int32Array of class indices' : 'a Float32Array of targets'}`,
      );
    }
    if (batch.labels.length !== labelCount) {
      throw new RangeError(`'batch.labels' must hold ${labelCount} values, got ${batch.labels.length}`);
    }
  }

  /** The batches' images (or labels) end to end, in a buffer kept for the next run of the same size. */
  private joined<T extends Float32Array | Int32Array>(
    key: string,
    parts: readonly T[],
    Type: new (length: number) => T,
  ): T {
    if (parts.length === 1) return parts[0]!;
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    let buffer = this.joinBuffers.get(key) as T | undefined;
    if (buffer?.length !== length) {
      buffer = new Type(length);
      this.joinBuffers.set(key, buffer);
    }
    let offset = 0;
    for (const part of parts) {
      buffer.set(part, offset);
      offset += part.length;
    }
    return buffer;
  }

  /** One onnxruntime run: one step of a step graph, or every batch (all of one size) through a looped graph. */
  private async run(
    batches: readonly TrainingBatch[],
    learningRate: number,
    seeds: readonly number[],
  ): Promise<TrainingStepResult[]> {
    const { graph, backend } = this;
    const names = graph.names;
    const count = batches[0]!.count;
    const steps = batches.length;
    const sparse = graph.loss === 'sparse-categorical-crossentropy';
    // a looped graph takes one entry per step along a first dimension
    const lead = graph.loop ? [steps] : [];
    const images = this.joined(
      'images',
      batches.map((batch) => batch.images),
      Float32Array,
    );
    const labels = batches.map((batch) => batch.labels);
    const feeds: Record<string, OrtTensor> = {
      [names.images]: backend.tensor('float32', images, [...lead, count, ...graph.imageShape]),
      [names.labels]: sparse
        ? backend.tensor('int32', this.joined('labels', labels as Int32Array[], Int32Array), [...lead, count])
        : backend.tensor('float32', this.joined('targets', labels as Float32Array[], Float32Array), [
            ...lead,
            count,
            graph.classes,
          ]),
      [names.learningRate]: backend.tensor('float32', new Float32Array(steps).fill(learningRate), lead),
      [names.step]: backend.tensor('float32', Float32Array.of(this.stepsDone), []),
      [names.seed]: backend.tensor('int32', Int32Array.from(seeds), lead),
    };
    const from = this.current;
    const to = from === 0 ? 1 : 0;
    for (const carried of this.carried) feeds[carried.input] = carried.tensors[from];
    const session = await this.sessionForStep();
    const started = performance.now();
    let results: Record<string, OrtTensor>;
    if (backend.preallocatedOutputs) {
      const fetches: Record<string, OrtTensor> = {
        [names.loss]: backend.tensor('float32', new Float32Array(steps), lead),
        [names.correct]: backend.tensor('float32', new Float32Array(steps), lead),
      };
      for (const carried of this.carried) fetches[carried.output] = carried.tensors[to];
      results = await session.run(feeds, fetches);
    } else {
      results = await session.run(feeds);
      for (const carried of this.carried) {
        carried.tensors[to].dispose?.();
        carried.tensors[to] = results[carried.output]!;
      }
    }
    if (this.trials?.record((performance.now() - started) / steps, steps)) {
      // a trial ended: its verdict and medians
      this.info.spinWait = this.trials.spinning;
      this.info.waitTrials = { trials: this.trials.trials, ...this.trials.last! };
    }
    this.current = to;
    this.stepsDone += steps;
    const values = async (name: string): Promise<Float32Array> => {
      const tensor = results[name]!;
      return (tensor.getData ? await tensor.getData() : tensor.data) as Float32Array;
    };
    const losses = await values(names.loss);
    const hits = await values(names.correct);
    return batches.map((_, index) => ({ loss: losses[index]!, correct: hits[index]! }));
  }

  /**
   * The session that runs the coming step: the one asked for, or the one the trials choose or time. Should
   * the spinning session fail to open, the trials stop and the threads sleep: training goes on as before.
   */
  private async sessionForStep(): Promise<OrtTrainingSession> {
    if (this.trials === null || !this.trials.next(performance.now())) return this.session;
    if (this.spinningSession === null) {
      try {
        this.spinningSession = await this.backend.open(this.graph.bytes, { ...this.options, spinWait: true });
      } catch {
        this.trials = null;
        this.info.spinWait = false;
        this.info.waitTrials = null;
        return this.session;
      }
    }
    return this.spinningSession;
  }

  /**
   * Every carried value (parameters, optimizer slots, batch-norm statistics) by tfjs name, copied out.
   * Give it to `@cnnx/export`'s `writeTrainedWeights` to set the weights into the tfjs model, and to
   * `optimizerWeightsFromState` for tfjs's optimizer weights (a checkpoint).
   *
   * @example
   * const state = await session.readState();
   * state.get('dense_Dense1/kernel/m'); // Float32Array: Adam's first moment of that kernel
   */
  async readState(): Promise<Map<string, Float32Array>> {
    this.assertOpen();
    const state = new Map<string, Float32Array>();
    for (const carried of this.carried) {
      const tensor = carried.tensors[this.current];
      const data = (tensor.getData ? await tensor.getData() : tensor.data) as Float32Array;
      state.set(carried.name, Float32Array.from(data));
    }
    return state;
  }

  /**
   * Replaces some or all carried values (weights set in the tfjs model, a checkpoint's optimizer slots),
   * and with `iterations` the step count, so training continues from there.
   *
   * @example
   * session.writeState(stateFromOptimizerWeights(step, weights).slots, 120);
   */
  writeState(values: ReadonlyMap<string, Float32Array>, iterations?: number): void {
    this.assertOpen();
    checkState(this.graph, values, true);
    if (iterations !== undefined) {
      if (!Number.isInteger(iterations) || iterations < 0) {
        throw new RangeError(`'iterations' must be an integer ≥ 0, got ${iterations}`);
      }
    }
    for (const carried of this.carried) {
      const values_ = values.get(carried.name);
      if (values_ === undefined) continue;
      const tensor = carried.tensors[this.current];
      if (tensor.data instanceof Float32Array && !tensor.getData) {
        tensor.data.set(values_);
      } else {
        tensor.dispose?.();
        carried.tensors[this.current] = this.backend.tensor(
          'float32',
          Float32Array.from(values_),
          carried.shape,
        );
      }
    }
    if (iterations !== undefined) this.stepsDone = iterations;
  }

  /** Node: ends onnxruntime's profiling (when `profileFilePrefix` was given) and writes its file. */
  endProfiling(): void {
    this.session.endProfiling?.();
  }

  /** Frees the onnxruntime session; another training session may be opened afterwards. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (openSession === this) openSession = null;
    try {
      await this.session.release();
    } finally {
      await this.spinningSession?.release();
    }
  }
}
