/** onnxruntime-node as cnnx backends: `cpu` always, `cuda` when its provider library is installed. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Backend, BackendSession, BackendSessionOptions } from '../core/backend.js';
import { DeviceUnavailableError } from '../errors.js';
import type { TensorLike, ValueInfo } from '../types.js';

/** How to get the CUDA provider, for error messages. */
export const cudaInstallHint =
  "run `cnnx setup cuda` (onnxruntime-node's installer with its CUDA 12 option; needs an NVIDIA driver, CUDA 12, cuDNN 9 and internet)";

/**
 * The folder holding onnxruntime-node's native libraries, where its installer puts the CUDA provider.
 *
 * @example
 * bindingFolder(); // '/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64'
 */
export function bindingFolder(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('onnxruntime-node');
    return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/**
 * The libraries of a provider that onnxruntime-node downloads instead of shipping (cuda, tensorrt) and that
 * are not in its binding folder; empty when all are there, or for a provider inside the package.
 *
 * @example
 * missingProviderLibraries('cuda'); // ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']
 */
export function missingProviderLibraries(provider: string): string[] {
  if (provider !== 'cuda' && provider !== 'tensorrt') return [];
  const file = (name: string) => (process.platform === 'win32' ? `${name}.dll` : `lib${name}.so`);
  const folder = bindingFolder();
  return [file(`onnxruntime_providers_${provider}`), file('onnxruntime_providers_shared')].filter(
    (name) => folder === null || !existsSync(join(folder, name)),
  );
}

/**
 * Why CUDA cannot run here, or null when its provider library is present (whether a GPU answers is only
 * known when a session opens).
 *
 * @example
 * cudaUnavailableReason();
 * // → 'the CUDA execution provider is not installed in onnxruntime-node (no libonnxruntime_providers_cuda.so, …); run `cnnx setup cuda` …'
 */
export function cudaUnavailableReason(): string | null {
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    return `onnxruntime-node has no CUDA provider on ${process.platform}`;
  }
  const supported = ort.listSupportedBackends().some((backend) => backend.name === 'cuda');
  if (!supported) return `this onnxruntime-node build has no CUDA provider; ${cudaInstallHint}`;
  const missing = missingProviderLibraries('cuda');
  if (missing.length > 0) {
    return `the CUDA execution provider is not installed in onnxruntime-node (no ${missing.join(', ')}); ${cudaInstallHint}`;
  }
  return null;
}

/**
 * Throws {@link DeviceUnavailableError} (the words inference gives: `device cuda cannot run the model: …`)
 * when CUDA cannot run here; what the training session and `cnnx train --device cuda` check before they start.
 *
 * @example
 * assertCudaAvailable(); // throws on a machine without onnxruntime-node's CUDA provider
 */
export function assertCudaAvailable(): void {
  const reason = cudaUnavailableReason();
  if (reason !== null) throw new DeviceUnavailableError([{ device: 'cuda', reason }]);
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
