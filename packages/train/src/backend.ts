import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { installedVersion } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from './errors.js';
import { registerBatchNormGradient } from './training/batch-norm-gradient.js';
import type {
  BackendInfo,
  BackendName,
  TrainingBackendStatus,
  TrainingBackendsDescription,
} from './types.js';

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

const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * Whether `@tensorflow/tfjs-node` is installed without its native binding: present, but its install script
 * (which downloads libtensorflow) did not run, as where install scripts are off or there is no internet.
 */
function tensorflowBindingMissing(): boolean {
  let folder: string;
  try {
    folder = dirname(createRequire(import.meta.url).resolve(`${TFJS_NODE}/package.json`));
  } catch {
    return false; // not installed at all: the import says so
  }
  try {
    return !readdirSync(join(folder, 'lib')).some(
      (entry) => entry.startsWith('napi-v') && existsSync(join(folder, 'lib', entry, 'tfjs_binding.node')),
    );
  } catch {
    return true;
  }
}

/** Loads `@tensorflow/tfjs-node` (optional: absent where it could not install) and selects it. */
async function loadTensorflow(): Promise<void> {
  const moduleName = TFJS_NODE;
  if (tensorflowBindingMissing()) {
    throw new Error(
      `${moduleName} is installed without its native library (its install script did not run); ` +
        `with internet: npm rebuild ${moduleName} --ignore-scripts=false`,
    );
  }
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

/** What each backend says about itself once it loaded. */
async function backendDetail(name: BackendName): Promise<string> {
  if (name === 'tensorflow') {
    const binding = (tf.backend() as { binding?: { TF_Version?: unknown } }).binding;
    return `native TensorFlow${typeof binding?.TF_Version === 'string' ? ` ${binding.TF_Version}` : ''}`;
  }
  if (name === 'wasm') {
    const { wasmThreadsCount } = await import('./kernels/wasm-setup.js');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = wasmThreadsCount();
    return (
      `XNNPACK on ${threads} thread${threads === 1 ? '' : 's'}, ` +
      `${simd ? 'WebAssembly SIMD' : 'no WebAssembly SIMD (slow)'}, with cnnx's gradient kernels`
    );
  }
  return 'plain JavaScript: for tests, far too slow to train';
}

/**
 * Which training backends load here and which one a run's `auto` picks: first the registered engines `auto`
 * prefers (onnxruntime, once `@cnnx/runtime/training` is imported; `auto` takes it for the models it covers),
 * then each backend of {@link BACKEND_LADDER}, really started (tfjs-node imported, the wasm backend compiled
 * with cnnx's kernels); one that does not start says why in one line. Entries carry their engine (`tfjs`, or the
 * engine's own name). Leaves tfjs on the first tfjs backend that loads; the wasm backend starts with
 * `options.threads`, so give a later {@link initBackend} the same options.
 *
 * @example
 * await describeTrainingBackends();
 * // { auto: 'wasm',
 * //   backends: [{ engine: 'tfjs', name: 'tensorflow', available: false, reason: '@tensorflow/tfjs-node is not installed (…)' },
 * //              { engine: 'tfjs', name: 'wasm', available: true, detail: 'XNNPACK on 2 threads, WebAssembly SIMD, …' },
 * //              { engine: 'tfjs', name: 'cpu', available: true, detail: 'plain JavaScript: …' }],
 * //   versions: { '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0', '@tensorflow/tfjs-node': null } }
 */
export async function describeTrainingBackends(
  options: InitBackendOptions = {},
): Promise<TrainingBackendsDescription> {
  tf.env().set('PROD', true);
  const backends: TrainingBackendStatus[] = [];
  const { preferredTrainingEngines } = await import('./engines/registry.js');
  for (const engine of preferredTrainingEngines()) {
    const status = (await engine.describe?.()) ?? { available: true };
    backends.push({ engine: engine.name, name: engine.name, ...status });
  }
  for (const name of BACKEND_LADDER) {
    try {
      await loaders[name](options);
      backends.push({ engine: 'tfjs', name, available: true, detail: await backendDetail(name) });
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0] ?? String(error);
      backends.push({ engine: 'tfjs', name, available: false, reason });
    }
  }
  const auto = backends.find((backend) => backend.available)?.name ?? null;
  const tfjs = backends.find((backend) => backend.engine === 'tfjs' && backend.available);
  if (tfjs) await tf.setBackend(tfjs.name);
  const versions: Record<string, string | null> = {};
  for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', TFJS_NODE]) {
    versions[name] = installedVersion(name, import.meta.url);
  }
  return { backends, auto, versions };
}
