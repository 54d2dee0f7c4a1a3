/** onnxruntime-node as cnnx backends: `cpu` always, `cuda` when its provider library is installed. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Backend, BackendSession, BackendSessionOptions } from '../core/backend.js';
import type { TensorLike, ValueInfo } from '../types.js';

/** How to get the CUDA provider, for error messages. */
export const cudaInstallHint =
  'install it with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (needs CUDA 12 and cuDNN 9, and internet access)';

/** The folder holding onnxruntime-node's native libraries. */
function bindingFolder(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('onnxruntime-node');
    return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/**
 * Why CUDA cannot run here, or null when its provider library is present (whether a GPU answers is only
 * known when a session opens).
 *
 * @example
 * cudaUnavailableReason();
 * // → 'the CUDA execution provider is not installed in onnxruntime-node (no libonnxruntime_providers_cuda.so); install it with …'
 */
export function cudaUnavailableReason(): string | null {
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    return `onnxruntime-node has no CUDA provider on ${process.platform}`;
  }
  const supported = ort.listSupportedBackends().some((backend) => backend.name === 'cuda');
  if (!supported) return `this onnxruntime-node build has no CUDA provider; ${cudaInstallHint}`;
  const folder = bindingFolder();
  const library =
    process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (folder === null || !existsSync(join(folder, library))) {
    return `the CUDA execution provider is not installed in onnxruntime-node (no ${library}); ${cudaInstallHint}`;
  }
  return null;
}

function describe(session: BackendSession): { inputs: ValueInfo[]; outputs: ValueInfo[] } | null {
  const native = session as unknown as ort.InferenceSession;
  const convert = (list: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] =>
    list.map((value) =>
      value.isTensor
        ? { name: value.name, type: String(value.type), shape: [...value.shape] }
        : { name: value.name, type: 'non-tensor', shape: [] },
    );
  if (!native.inputMetadata || !native.outputMetadata) return null;
  return { inputs: convert(native.inputMetadata), outputs: convert(native.outputMetadata) };
}

function nodeBackend(provider: 'cpu' | 'cuda'): Backend {
  return {
    provider,
    async createSession(model: Uint8Array, options: BackendSessionOptions): Promise<BackendSession> {
      if (provider === 'cuda') {
        const reason = cudaUnavailableReason();
        if (reason !== null) throw new Error(reason);
      }
      const session = await ort.InferenceSession.create(model, {
        ...options,
        executionProviders: [provider],
      });
      return session as unknown as BackendSession;
    },
    createTensor(type: 'float32', data: Float32Array, dims: readonly number[]): TensorLike {
      return new ort.Tensor(type, data, dims);
    },
    describe,
  };
}

/** onnxruntime-node on the CPU. */
export const cpuBackend = nodeBackend('cpu');
/** onnxruntime-node with the CUDA execution provider. */
export const cudaBackend = nodeBackend('cuda');
