/** onnxruntime-web as cnnx backends: `webgpu` when an adapter is granted, `wasm` everywhere. */
import * as ort from 'onnxruntime-web/webgpu';
import type { Backend, BackendSession, BackendSessionOptions } from '../core/backend.js';
import type { TensorLike, ValueInfo } from '../types.js';
import { webgpuUnavailableReason } from './environment.js';

function describe(session: BackendSession): { inputs: ValueInfo[]; outputs: ValueInfo[] } | null {
  const native = session as unknown as ort.InferenceSession;
  if (!native.inputMetadata || !native.outputMetadata) return null;
  const convert = (list: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] =>
    list.map((value) =>
      value.isTensor
        ? { name: value.name, type: String(value.type), shape: [...value.shape] }
        : { name: value.name, type: 'non-tensor', shape: [] },
    );
  return { inputs: convert(native.inputMetadata), outputs: convert(native.outputMetadata) };
}

function webBackend(provider: 'webgpu' | 'wasm'): Backend {
  return {
    provider,
    async createSession(model: Uint8Array, options: BackendSessionOptions): Promise<BackendSession> {
      if (provider === 'webgpu') {
        const reason = await webgpuUnavailableReason();
        if (reason !== null) throw new Error(reason);
      }
      const { optimizedModelFilePath: _, ...rest } = options;
      const session = await ort.InferenceSession.create(model, { ...rest, executionProviders: [provider] });
      return session as unknown as BackendSession;
    },
    createTensor(type: 'float32', data: Float32Array, dims: readonly number[]): TensorLike {
      return new ort.Tensor(type, data, dims);
    },
    describe,
  };
}

/** onnxruntime-web on WebGPU. */
export const webgpuBackend = webBackend('webgpu');
/** onnxruntime-web on WebAssembly (SIMD, threads when the page is cross-origin isolated). */
export const wasmBackend = webBackend('wasm');

/** onnxruntime-web's global settings, for the browser Classifier. */
export const ortEnvironment = ort.env;
