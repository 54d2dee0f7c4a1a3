import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from './errors.js';
import { registerBatchNormGradient } from './training/batch-norm-gradient.js';
import type { BackendInfo, BackendName } from './types.js';

/** The backends `initBackend('auto')` tries, fastest first. */
export const BACKEND_LADDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** XNNPACK threads of the wasm backend (1-8); default: the cores this process may use, at most 8. */
  threads?: number;
}

/**
 * The wasm backend's default thread count: one per core this process may use, at most 8 (tfjs's limit).
 *
 * @example
 * defaultWasmThreads(); // 2 on a 2-core machine
 */
export function defaultWasmThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** Loads `@tensorflow/tfjs-node` (optional: absent where it could not install) and selects it. */
async function loadTensorflow(): Promise<void> {
  const moduleName = '@tensorflow/tfjs-node';
  try {
    await import(moduleName);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? `${moduleName} is not installed (it needs internet to install libtensorflow)`
        : `${moduleName} failed to load: ${(error as Error).message.split('\n')[0]}`;
    throw new Error(reason, { cause: error });
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${moduleName} loaded but did not register`);
}

/** The wasm backend with cnnx's gradient kernels, on `threads` XNNPACK threads. */
async function loadWasm(options: InitBackendOptions): Promise<void> {
  const { useWasmTrainingBackend } = await import('./kernels/wasm-setup.js');
  await useWasmTrainingBackend({ threads: options.threads ?? defaultWasmThreads() });
}

async function loadCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
}

const loaders: Record<BackendName, (options: InitBackendOptions) => Promise<void>> = {
  tensorflow: loadTensorflow,
  wasm: loadWasm,
  cpu: loadCpu,
};

/**
 * Selects the tfjs backend training runs on. `auto` walks the ladder tensorflow (tfjs-node) → wasm →
 * cpu and reports why it skipped each one it passed over; a named backend that cannot load throws
 * {@link BackendUnavailableError}.
 *
 * @example
 * const backend = await initBackend('auto');
 * // { name: 'wasm', skipped: [{ name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed …' }] }
 */
export async function initBackend(
  preferred: BackendName | 'auto' = 'auto',
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  if (preferred !== 'auto' && !BACKEND_LADDER.includes(preferred)) {
    throw new RangeError(
      `'preferred' must be one of auto, ${BACKEND_LADDER.join(', ')}; got ${JSON.stringify(preferred)}`,
    );
  }
  // PROD silences tfjs's "install our node backend" banner (cnnx reports the backend itself).
  tf.env().set('PROD', true);
  registerBatchNormGradient();
  const candidates = preferred === 'auto' ? BACKEND_LADDER : [preferred];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of candidates) {
    try {
      await loaders[name](options);
      if (name === 'wasm') {
        const { wasmThreadsCount } = await import('./kernels/wasm-setup.js');
        return { name, skipped, threads: wasmThreadsCount() };
      }
      return { name, skipped };
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0] ?? String(error);
      if (preferred !== 'auto') throw new BackendUnavailableError(name, reason, { cause: error });
      skipped.push({ name, reason });
    }
  }
  throw new BackendUnavailableError(
    'auto',
    `no backend loaded (${skipped.map((entry) => `${entry.name}: ${entry.reason}`).join('; ')})`,
  );
}

/**
 * The name of the backend tfjs is using now (after {@link initBackend}).
 *
 * @example
 * currentBackend(); // 'wasm'
 */
export function currentBackend(): string {
  return tf.getBackend();
}
