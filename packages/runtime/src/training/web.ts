/** The training session on onnxruntime-web: WebAssembly, or WebGPU when the browser grants an adapter. */
import * as ort from 'onnxruntime-web/webgpu';
import { DeviceUnavailableError } from '../errors.js';
import { configureWasm } from '../web/classifier.js';
import { webgpuUnavailableReason } from '../web/environment.js';
import {
  TrainingSession as CoreTrainingSession,
  type OrtTrainingSession,
  type TrainingBackend,
} from './training-session.js';
import type { TrainingSessionOptions, TrainingStepGraph } from './types.js';

function webTrainingBackend(device: 'wasm' | 'webgpu'): TrainingBackend {
  return {
    device,
    provider: device,
    preallocatedOutputs: false,
    async open(bytes, options) {
      if (device === 'webgpu') {
        const reason = await webgpuUnavailableReason();
        if (reason !== null) throw new DeviceUnavailableError([{ device: 'webgpu', reason }]);
      }
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [device],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      });
      return session as unknown as OrtTrainingSession;
    },
    tensor: ((type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: readonly number[]) =>
      new ort.Tensor(type, data, dims)) as TrainingBackend['tensor'],
  };
}

/** Browser-only options: where onnxruntime-web's `.wasm` files are served. */
export interface BrowserTrainingSessionOptions extends TrainingSessionOptions {
  wasmPaths?: string | Record<string, string>;
}

/**
 * The training session of `@cnnx/runtime` in a browser, on onnxruntime-web.
 *
 * @example
 * const session = await TrainingSession.open(step, state, { device: 'webgpu', wasmPaths: '/ort/' });
 * await session.step({ images, labels, count: 32 }, { learningRate: 0.001 }); // → { loss: 2.3, correct: 4 }
 */
export class TrainingSession extends CoreTrainingSession {
  /**
   * Opens a training session for `graph` starting from `state` after `iterations` steps, on `wasm`
   * (default) or `webgpu`.
   *
   * @example
   * const session = await TrainingSession.open(step, state, { device: 'wasm', wasmPaths: '/ort/' });
   */
  static async open(
    graph: TrainingStepGraph,
    state: ReadonlyMap<string, Float32Array>,
    options: BrowserTrainingSessionOptions = {},
    iterations = 0,
  ): Promise<CoreTrainingSession> {
    const device = options.device ?? 'wasm';
    if (device !== 'wasm' && device !== 'webgpu') {
      throw new RangeError(`'device' must be wasm or webgpu in a browser, got '${device}'`);
    }
    if (device === 'webgpu' && !graph.webgpu) {
      throw new RangeError(
        "the training graph was not built for WebGPU: build it with buildTrainingGraph(model, { webgpu: true }) (onnxruntime-web's WebGPU provider computes grouped convolutions wrongly)",
      );
    }
    const threads = configureWasm(options);
    const session = await TrainingSession.create(
      graph,
      state,
      webTrainingBackend(device),
      options,
      iterations,
    );
    session.info.threads = device === 'wasm' ? threads : null;
    return session;
  }
}
