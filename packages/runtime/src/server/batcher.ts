import { HttpError } from './errors.js';
import type { BatchStats } from './types.js';

/** Runs one batch: float inputs (model input order) for `count` items → each output's values, item-major. */
export type RunBatch = (inputs: Float32Array[], count: number) => Promise<ArrayLike<number | bigint>[]>;

/** Options of {@link DynamicBatcher}. */
export interface BatcherOptions {
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  /** Called after every run, for metrics. */
  onBatch?: (stats: BatchStats) => void;
}

/** What a caller gets back: its own slice of every output, and how long it waited. */
export interface BatchResult {
  outputs: ArrayLike<number | bigint>[];
  queueSeconds: number;
  batchImages: number;
}

interface Pending {
  inputs: Float32Array[];
  count: number;
  enqueuedAt: number;
  resolve: (result: BatchResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Runs handed to the model at once: the one computing and the next, waiting beside it. */
const MAX_RUNS = 2;

/**
 * Dynamic batching: concurrent requests wait in a bounded queue and are run together. While the model is
 * idle, a batch starts as soon as `maxBatch` items are waiting or the oldest has waited `maxDelayMs`.
 * While a run computes, the next batch gathers; it is handed over as soon as it is as large as the
 * running one (or `maxBatch`), so that a model in a worker thread finds it waiting and never idles while
 * the HTTP thread is busy, and otherwise the moment the run ends. A full queue answers 503 at once rather
 * than letting latency grow without end; a request past its own timeout leaves the queue with a 503.
 *
 * @example
 * const batcher = new DynamicBatcher(runBatch, { maxBatch: 64, maxDelayMs: 2, maxQueue: 1024 });
 * const { outputs } = await batcher.submit([pixels], 1); // outputs[0]: this item's probabilities
 */
export class DynamicBatcher {
  readonly #run: RunBatch;
  readonly #options: BatcherOptions;
  #queue: Pending[] = [];
  #queuedItems = 0;
  /** Runs handed over and not yet ended (at most {@link MAX_RUNS}). */
  #running = 0;
  /** Items of the latest batch handed over. */
  #lastItems = 1;
  /** When the latest run ended: a run handed over before then started computing only then. */
  #lastEndedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  constructor(run: RunBatch, options: BatcherOptions) {
    for (const key of ['maxBatch', 'maxQueue'] as const) {
      if (!Number.isSafeInteger(options[key]) || options[key] < 1) {
        throw new RangeError(`'${key}' must be an integer ≥ 1, got ${options[key]}`);
      }
    }
    if (!(options.maxDelayMs >= 0)) {
      throw new RangeError(`'maxDelayMs' must be ≥ 0, got ${options.maxDelayMs}`);
    }
    this.#run = run;
    this.#options = options;
  }

  /** Requests waiting for a run (not counting the one running). */
  get depth(): number {
    return this.#queue.length;
  }

  /** Whether a run is in progress or requests are waiting. */
  get busy(): boolean {
    return this.#running > 0 || this.#queue.length > 0;
  }

  /**
   * Queues `count` items (one float array per model input) and resolves with this request's outputs.
   * Rejects with a 503 {@link HttpError} when the queue is full or `timeoutMs` passes before its run.
   */
  submit(inputs: Float32Array[], count: number, timeoutMs?: number): Promise<BatchResult> {
    if (this.#queue.length >= this.#options.maxQueue) {
      return Promise.reject(
        new HttpError(503, `server overloaded: ${this.#queue.length} requests already queued (max-queue)`),
      );
    }
    return new Promise<BatchResult>((resolve, reject) => {
      const pending: Pending = {
        inputs,
        count,
        enqueuedAt: performance.now(),
        resolve,
        reject,
        timer: undefined,
      };
      if (timeoutMs !== undefined) {
        pending.timer = setTimeout(() => this.#expire(pending, timeoutMs), timeoutMs);
      }
      this.#queue.push(pending);
      this.#queuedItems += count;
      this.#schedule();
    });
  }

  #expire(pending: Pending, timeoutMs: number): void {
    const index = this.#queue.indexOf(pending);
    if (index === -1) return; // already running: it finishes
    this.#queue.splice(index, 1);
    this.#queuedItems -= pending.count;
    pending.reject(new HttpError(503, `request timed out after ${timeoutMs} ms waiting for a batch`));
  }

  #schedule(): void {
    if (this.#running >= MAX_RUNS || this.#queue.length === 0) return;
    if (this.#queuedItems >= this.#options.maxBatch) {
      this.#dispatch();
      return;
    }
    if (this.#running > 0) {
      // the next batch waits beside the running one once it is as large; else it goes when that ends
      if (this.#queuedItems >= this.#lastItems) this.#dispatch();
      return;
    }
    const oldest = this.#queue[0] as Pending;
    const waited = performance.now() - oldest.enqueuedAt;
    const remaining = this.#options.maxDelayMs - waited;
    if (remaining <= 0) {
      // Let the requests already read in this turn of the event loop join the batch.
      this.#immediate ??= setImmediate(() => {
        this.#immediate = undefined;
        this.#dispatch();
      });
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#dispatch();
      }, remaining);
    }
  }

  #dispatch(): void {
    if (this.#running >= MAX_RUNS || this.#queue.length === 0) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    const batch: Pending[] = [];
    let items = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as Pending;
      if (batch.length > 0 && items + next.count > this.#options.maxBatch) break;
      this.#queue.shift();
      batch.push(next);
      items += next.count;
      if (next.timer !== undefined) clearTimeout(next.timer);
    }
    this.#queuedItems -= items;
    this.#lastItems = items;
    this.#running++;
    void this.#runBatch(batch, items);
  }

  /**
   * A run ended, and is called before its callers are answered. When nothing else is handed over, the
   * requests that arrived during the run have already waited for it and go at once: waiting out
   * `maxDelayMs` again would only leave the model idle.
   */
  #finished(): void {
    this.#running--;
    if (this.#running === 0 && this.#queue.length > 0) this.#dispatch();
    else this.#schedule();
  }

  async #runBatch(batch: Pending[], items: number): Promise<void> {
    const startedAt = performance.now();
    let outputs: ArrayLike<number | bigint>[];
    try {
      const inputs = batch.length === 1 ? (batch[0] as Pending).inputs : concatenate(batch, items);
      outputs = await this.#run(inputs, items);
    } catch (error) {
      const failure = new HttpError(500, `inference failed: ${(error as Error).message?.split('\n')[0]}`, {
        cause: error,
      });
      this.#lastEndedAt = performance.now();
      this.#finished();
      for (const pending of batch) pending.reject(failure);
      return;
    }
    const finishedAt = performance.now();
    // handed over beside a running batch, it began computing when that one ended
    const computedFrom = Math.max(startedAt, this.#lastEndedAt);
    this.#lastEndedAt = finishedAt;
    this.#finished();
    this.#options.onBatch?.({
      images: items,
      requests: batch.length,
      inferenceSeconds: (finishedAt - computedFrom) / 1000,
    });
    let offset = 0;
    for (const pending of batch) {
      const slices = outputs.map((values) => {
        const itemSize = values.length / items;
        const start = offset * itemSize;
        const end = start + pending.count * itemSize;
        return ArrayBuffer.isView(values)
          ? (values as unknown as Float32Array).subarray(start, end)
          : Array.prototype.slice.call(values, start, end);
      });
      offset += pending.count;
      pending.resolve({
        outputs: slices,
        queueSeconds: (computedFrom - pending.enqueuedAt) / 1000,
        batchImages: items,
      });
    }
  }
}

function concatenate(batch: Pending[], items: number): Float32Array[] {
  const first = batch[0] as Pending;
  return first.inputs.map((input, inputIndex) => {
    const itemSize = input.length / first.count;
    const joined = new Float32Array(items * itemSize);
    let offset = 0;
    for (const pending of batch) {
      const part = pending.inputs[inputIndex] as Float32Array;
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  });
}
