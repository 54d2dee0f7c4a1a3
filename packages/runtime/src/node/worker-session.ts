/**
 * onnxruntime-node in a worker thread. onnxruntime-node's `run` returns a promise but computes on the calling
 * thread, so a server that runs the model on its main thread stops reading requests for the whole run. Here
 * the session lives in a worker: `run` posts the inputs (copied into buffers of their own and transferred)
 * and the event loop stays free while the model computes.
 */
import { Worker } from 'node:worker_threads';
import type { BackendSession, BackendSessionOptions, ResolvedSession } from '../core/backend.js';
import { DeviceUnavailableError } from '../errors.js';
import type { TensorLike, ValueInfo } from '../types.js';

/** A tensor as it crosses the thread boundary. */
export interface WireTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** What the worker is started with. */
export interface OpenRequest {
  device: string;
  model: Uint8Array;
  options: BackendSessionOptions;
}

export type ToWorker = { kind: 'run'; id: number; feeds: Record<string, WireTensor> } | { kind: 'release' };

export type FromWorker =
  | {
      kind: 'ready';
      device: string;
      provider: string;
      skipped: { device: string; reason: string }[];
      described: { inputs: ValueInfo[]; outputs: ValueInfo[] } | null;
      inputNames: string[];
      outputNames: string[];
    }
  | {
      kind: 'open-failed';
      name: string;
      message: string;
      causes: { device: string; reason: string }[] | null;
    }
  | { kind: 'result'; id: number; outputs: Record<string, WireTensor> }
  | { kind: 'failed'; id: number; message: string };

interface PendingRun {
  resolve: (outputs: Record<string, TensorLike>) => void;
  reject: (error: Error) => void;
}

/** Starts the worker: its compiled file next to this one, or through tsx when running from the sources. */
function startWorker(request: OpenRequest): Worker {
  const options = { workerData: request };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./session-worker.js', import.meta.url), options);
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./session-worker.ts', import.meta.url).href;
  const source = `import { tsImport } from ${JSON.stringify(api)}; await tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), options);
}

/** Copies a typed array into a buffer of its own, which can then be transferred without touching the caller's. */
function ownCopy(data: unknown): { data: unknown; buffer: ArrayBuffer | undefined } {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const copy = (data as unknown as Float32Array).slice();
    return { data: copy, buffer: copy.buffer };
  }
  return { data, buffer: undefined };
}

class WorkerSession implements BackendSession {
  readonly #worker: Worker;
  readonly #pending = new Map<number, PendingRun>();
  #nextId = 0;
  #stopped: Error | undefined;

  constructor(
    worker: Worker,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    this.#worker = worker;
    worker.on('message', (message: FromWorker) => {
      if (message.kind !== 'result' && message.kind !== 'failed') return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (this.#pending.size === 0) worker.unref();
      if (message.kind === 'result') pending.resolve(message.outputs);
      else pending.reject(new Error(message.message));
    });
    const stop = (error: Error) => {
      this.#stopped ??= error;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    worker.on('error', (error) => stop(new Error(`the onnxruntime worker thread failed: ${error.message}`)));
    worker.on('exit', (code) => stop(new Error(`the onnxruntime worker thread stopped (exit code ${code})`)));
    // An idle session does not keep the process alive; a run in progress does.
    worker.unref();
  }

  get failure(): Error | undefined {
    return this.#stopped;
  }

  run(feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, tensor] of Object.entries(feeds)) {
      const { data, buffer } = ownCopy(tensor.data);
      wire[name] = { type: tensor.type, dims: [...tensor.dims], data };
      if (buffer) transfer.push(buffer);
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ kind: 'run', id, feeds: wire } satisfies ToWorker, transfer);
    });
  }

  async release(): Promise<void> {
    if (this.#stopped) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.ref();
    this.#worker.postMessage({ kind: 'release' } satisfies ToWorker);
    const timer = setTimeout(() => void this.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the worker thread at once, as a crash would: runs in flight and later runs reject. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}

/**
 * Like `resolveSession`, but the session opens (with the same device fallback) and runs in a worker thread.
 *
 * @example
 * const { device, session } = await resolveSessionInWorker('auto', bytes, { intraOpNumThreads: 1 });
 * await session.run({ input: tensor }); // the event loop keeps turning meanwhile
 */
export async function resolveSessionInWorker(
  device: string,
  model: Uint8Array,
  options: BackendSessionOptions,
): Promise<ResolvedSession> {
  const worker = startWorker({ device, model, options });
  // Listeners are removed one by one: Worker keeps internal listeners of its own.
  let listeners: { message: (m: FromWorker) => void; error: (e: Error) => void; exit: (c: number) => void };
  const first = await new Promise<FromWorker>((resolve, reject) => {
    listeners = {
      message: resolve,
      error: reject,
      exit: (code) =>
        reject(new Error(`the onnxruntime worker thread exited (code ${code}) before opening the model`)),
    };
    worker.on('message', listeners.message).on('error', listeners.error).on('exit', listeners.exit);
  }).finally(() => {
    worker.off('message', listeners.message).off('error', listeners.error).off('exit', listeners.exit);
  });
  if (first.kind === 'open-failed') {
    await worker.terminate();
    if (first.name === 'DeviceUnavailableError' && first.causes)
      throw new DeviceUnavailableError(first.causes);
    throw first.name === 'RangeError' ? new RangeError(first.message) : new Error(first.message);
  }
  if (first.kind !== 'ready')
    throw new Error(`unexpected first message from the onnxruntime worker: ${first.kind}`);
  const session = new WorkerSession(worker, first.inputNames, first.outputNames);
  return {
    device: first.device,
    skipped: first.skipped,
    session,
    backend: {
      provider: first.provider,
      createSession: () =>
        Promise.reject(
          new Error('a worker-thread backend opens sessions only through resolveSessionInWorker'),
        ),
      createTensor: (type, data, dims) => ({ type, data, dims }),
      describe: () => first.described,
    },
  };
}
