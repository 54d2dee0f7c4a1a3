/** The training session on onnxruntime-node: CPU, or the CUDA provider when it is installed. */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { assertCudaAvailable } from '../node/backends.js';
import {
  TrainingSession as CoreTrainingSession,
  type OrtTrainingSession,
  type TrainingBackend,
} from './training-session.js';
import type { TrainingSessionOptions, TrainingStepGraph } from './types.js';

/**
 * How onnxruntime-node sessions of training open (the step's, and the engine's evaluation): device, threads,
 * and threads that sleep unless `spinWait` is true.
 */
export function nodeTrainingBackend(device: 'cpu' | 'cuda'): TrainingBackend {
  return {
    device,
    provider: device,
    preallocatedOutputs: true,
    async open(bytes, options) {
      // the same words as inference (`Classifier.load(…, { device: 'cuda' })`)
      if (device === 'cuda') assertCudaAvailable();
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [device],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
        extra: { session: { intra_op: { allow_spinning: options.spinWait === true ? '1' : '0' } } },
        ...(options.profileFilePrefix
          ? { enableProfiling: true, profileFilePrefix: options.profileFilePrefix }
          : {}),
      });
      return session as unknown as OrtTrainingSession;
    },
    tensor: ((type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: readonly number[]) =>
      new ort.Tensor(type, data, dims)) as TrainingBackend['tensor'],
    // onnxruntime's default intra-op pool has a thread per physical core; this counts logical ones
    canSpin: (options) => device === 'cpu' && (options.threads || availableParallelism()) > 1,
  };
}

let probedBlock: Promise<number | null> | undefined;

/**
 * The channel block of onnxruntime-node's blocked CPU convolutions (NCHWc) on this machine: 16 with AVX-512,
 * 8 with AVX2, null where the build has none. Measured once per process by a one-node model (the padded
 * channel count of a 4-channel input); `buildTrainingGraph`'s `nchwcBlockSize` takes it.
 *
 * @example
 * buildTrainingGraph(model, { nchwcBlockSize: (await nchwcBlockSize()) ?? undefined });
 */
export function nchwcBlockSize(): Promise<number | null> {
  probedBlock ??= (async () => {
    try {
      // imported here: @cnnx/export loads TensorFlow.js, which serving (this module's other readers) never needs
      const { nchwcProbeModel } = await import('@cnnx/export');
      const session = await ort.InferenceSession.create(nchwcProbeModel(), { intraOpNumThreads: 1 });
      try {
        const input = new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]);
        const output = Object.values(await session.run({ x: input }))[0];
        const block = output?.dims[1];
        return typeof block === 'number' && block >= 4 ? block : null;
      } finally {
        await session.release();
      }
    } catch {
      return null;
    }
  })();
  return probedBlock;
}

/**
 * The training session of `@cnnx/runtime` in Node, on onnxruntime-node.
 *
 * @example
 * const session = await TrainingSession.open(step, readTrainingState(model, step), { device: 'cpu', threads: 2 });
 * await session.step({ images, labels, count: 64 }, { learningRate: 0.001 }); // → { loss: 2.3, correct: 6 }
 */
export class TrainingSession extends CoreTrainingSession {
  /**
   * Opens a training session for `graph` (from `@cnnx/export`'s `buildTrainingGraph`) starting from `state`
   * after `iterations` steps. `device: 'cuda'` without the CUDA provider fails with the same message as
   * inference does.
   *
   * @example
   * const session = await TrainingSession.open(step, state, { device: 'cuda' });
   * // DeviceUnavailableError: device cuda cannot run the model: the CUDA execution provider is not installed…
   */
  static async open(
    graph: TrainingStepGraph,
    state: ReadonlyMap<string, Float32Array>,
    options: TrainingSessionOptions = {},
    iterations = 0,
  ): Promise<CoreTrainingSession> {
    const device = options.device ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') {
      throw new RangeError(`'device' must be cpu or cuda in Node, got '${device}'`);
    }
    return TrainingSession.create(graph, state, nodeTrainingBackend(device), options, iterations);
  }
}
