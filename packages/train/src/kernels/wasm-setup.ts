import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './index.js';

const require = createRequire(import.meta.url);

/**
 * The folder holding tfjs-backend-wasm's `.wasm` binaries, with a trailing separator, as
 * `setWasmPaths` wants it in Node.
 *
 * @example
 * wasmBinaryDirectory(); // '/…/node_modules/@tensorflow/tfjs-backend-wasm/dist/'
 */
export function wasmBinaryDirectory(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
}

/** Options of {@link useWasmTrainingBackend}. */
export interface WasmTrainingBackendOptions {
  /**
   * XNNPACK threads. 1 (the default) uses tfjs's single-threaded SIMD build, as stock tfjs does
   * in Node; more loads tfjs's threaded SIMD build on Node worker threads, which stock tfjs
   * refuses to do in Node. At most 8 (tfjs pre-creates 8 workers).
   */
  threads?: number;
}

let pathsSet = false;
let threadedFor: number | null = null;

/**
 * Makes tfjs's `wasm` backend the active one, with cnnx's training kernels registered, on
 * `threads` XNNPACK threads. Rejects when the backend cannot start.
 *
 * @example
 * await useWasmTrainingBackend({ threads: 2 });
 * tf.getBackend(); // 'wasm'
 * wasmThreadsCount(); // 2
 */
export async function useWasmTrainingBackend(options: WasmTrainingBackendOptions = {}): Promise<void> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 8) {
    throw new RangeError(`'threads' must be an integer from 1 to 8, got ${threads}.`);
  }
  registerWasmTrainingKernels();
  if (!pathsSet) {
    setWasmPaths(wasmBinaryDirectory());
    pathsSet = true;
  }
  if (threads > 1 && threadedFor !== threads) {
    if (tf.engine().registry.wasm !== undefined) {
      throw new Error(
        `The wasm backend already started with ${getThreadsCount()} thread(s); ask for ${threads} before it starts.`,
      );
    }
    registerThreadedWasmBackend(threads);
    threadedFor = threads;
  }
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('The tfjs wasm backend failed to initialise.');
}

/**
 * How many XNNPACK threads the running wasm backend uses.
 *
 * @example
 * await useWasmTrainingBackend();
 * wasmThreadsCount(); // 1
 */
export function wasmThreadsCount(): number {
  return getThreadsCount();
}

/** The Emscripten module factory of tfjs's threaded SIMD build. */
type ThreadedFactory = (config: Record<string, unknown>) => Promise<BackendWasm['wasm']>;

/**
 * Replaces tfjs's `wasm` backend factory by one that starts the threaded SIMD build in Node.
 * Stock tfjs disables threads in Node (its worker is handed over as a Blob URL, which Node's
 * worker_threads cannot load); here the worker script is a real file, and the main script a path.
 */
function registerThreadedWasmBackend(threads: number): void {
  const outputDirectory = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
  const mainScript = join(outputDirectory, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(mainScript) as ThreadedFactory;
  const workerFile = writeWorkerScript(outputDirectory);

  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      installWorkerClass();
      const module = await withLogicalCores(2 * threads, () =>
        factory({
          locateFile: (path: string) => {
            if (path.endsWith('.worker.js')) return workerFile;
            if (path.endsWith('.wasm'))
              return join(wasmBinaryDirectory(), 'tfjs-backend-wasm-threaded-simd.wasm');
            return join(outputDirectory, path);
          },
          mainScriptUrlOrBlob: mainScript,
        }),
      );
      const cwrap = module.cwrap as (name: string, returns: string | null, args: string[]) => never;
      (module as { tfjs: unknown }).tfjs = {
        init: cwrap('init', null, []),
        initWithThreadsCount: cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: cwrap('get_threads_count', 'number', []),
        registerTensor: cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: cwrap('dispose_data', null, ['number']),
        dispose: cwrap('dispose', null, []),
      };
      setThreadsCount(threads);
      const backend = new BackendWasm(module);
      // XNNPACK's pool threads now wait on atomics for work for the life of the process; their
      // workers must not keep Node's event loop alive, or no program using them would exit.
      const pthreads = (module as unknown as { PThread: { runningWorkers: { unref(): void }[] } }).PThread;
      for (const worker of pthreads.runningWorkers) worker.unref();
      return backend;
    },
    2,
  );
}

/**
 * Emscripten starts its pthreads with `new global.Worker(file)`, setting `global.Worker` to
 * worker_threads' Worker as it loads. Node workers inherit the parent's `execArgv`, and some
 * parent flags (`--input-type`, `-e`) make a worker fail to start; the worker script is plain
 * JavaScript and needs none of them. This pins `global.Worker` to a Worker that starts without.
 */
function installWorkerClass(): void {
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  class PlainWorker extends Worker {
    constructor(file: string | URL, options: import('node:worker_threads').WorkerOptions = {}) {
      super(file, { ...options, execArgv: [] });
    }
  }
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => PlainWorker,
    // Emscripten's own assignment is ignored: ours already is a worker_threads Worker.
    set: () => {},
  });
}

/**
 * Writes tfjs's pthread worker script (shipped as a JS string) to a file Node's workers can load: in a
 * private folder that `mkdtemp` makes for this process (mode 0700, a name no one can guess beforehand), created
 * exclusively so no planted file or symbolic link is followed, and removed when the process exits.
 */
function writeWorkerScript(outputDirectory: string): string {
  const { wasmWorkerContents } = require(
    join(outputDirectory, 'tfjs-backend-wasm-threaded-simd.worker.js'),
  ) as {
    wasmWorkerContents: string;
  };
  removeKilledWorkerFolders();
  const folder = mkdtempSync(join(tmpdir(), `cnnx-wasm-${process.pid}-`));
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const file = join(folder, 'worker.js');
  // tfjs escapes newlines the same way before making its Blob: the string holds "\n" escapes.
  writeFileSync(file, wasmWorkerContents.replace(/\n/g, '\\n'), { flag: 'wx', mode: 0o600 });
  return file;
}

/**
 * Removes the worker folders of this user's cnnx processes that were killed before their exit handler ran
 * (`cnnx-wasm-<pid>-*` in the temp folder, a real folder owned by this user, whose process is gone).
 */
function removeKilledWorkerFolders(): void {
  const uid = process.getuid?.();
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^cnnx-wasm-(\d+)-[A-Za-z0-9]{6}$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    const path = join(tmpdir(), name);
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!info?.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path, { recursive: true, force: true });
    }
  }
}

/**
 * Runs `start` while Node reports `count` logical CPUs. tfjs's C++ caps its thread pool at half
 * the logical CPUs (it assumes two hyper-threads per core), read once as the module starts; on
 * a 2-vCPU machine that is one thread whatever is asked.
 */
async function withLogicalCores<T>(count: number, start: () => Promise<T>): Promise<T> {
  const os = require('node:os') as { cpus: () => unknown[] };
  const realCpus = os.cpus;
  os.cpus = () => {
    const cpus = realCpus();
    return Array.from({ length: count }, (_, index) => cpus[index % cpus.length]);
  };
  try {
    return await start();
  } finally {
    os.cpus = realCpus;
  }
}
