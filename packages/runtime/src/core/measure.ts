/**
 * Latency and throughput measurement for model runs, shared by `cnnx bench` and `npm run bench:runtime`.
 * Pure TypeScript on `performance.now()`: no Node module, so it works in either entry.
 */

import type { TensorLike, ValueInfo } from '../types.js';
import { formatShape } from './feeds.js';

/** One measured call (a model run, say); its latency is what gets recorded. */
export type MeasuredStep = () => Promise<unknown>;

/** Options of {@link measureLatencies} and {@link measureThroughput}. */
export interface MeasureOptions {
  /** Images per call: the figures are per image, and the minimum number of runs depends on it. */
  batch: number;
  /** About how long each step is measured, in seconds (more when it needs more runs to reach the minimum). */
  seconds: number;
  /** Calls of each step before measuring, not counted (default 3). */
  warmupRuns?: number;
  /** Runs each step needs beyond its `seconds` (default 50, or 10 from batch 256 on), up to 4 × `seconds`. */
  minimumRuns?: number;
}

/** What a step's latencies come to. */
export interface ThroughputSummary {
  batch: number;
  /** Measured runs. */
  runs: number;
  /** Time spent in the measured runs, in seconds. */
  seconds: number;
  /** `batch × runs / seconds`. */
  imagesPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

function checkOptions(options: MeasureOptions): void {
  if (!Number.isInteger(options.batch) || options.batch < 1) {
    throw new RangeError(`'batch' must be an integer ≥ 1, got ${options.batch}`);
  }
  if (!(Number.isFinite(options.seconds) && options.seconds > 0)) {
    throw new RangeError(`'seconds' must be a number > 0, got ${options.seconds}`);
  }
  for (const name of ['warmupRuns', 'minimumRuns'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new RangeError(`'${name}' must be an integer ≥ 0, got ${value}`);
    }
  }
}

/** The value at quantile `q` of ascending `sorted` latencies (the sample at index ⌊q·n⌋); NaN when empty. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * Runs the steps in alternating blocks of about a sixth of `seconds` each (at least 50 ms), round after round,
 * until each has had about `seconds` and its minimum of runs; returns each step's latencies in ms. Blocks
 * rather than single calls, and the first call of each block left out: onnxruntime's intra-op threads spin
 * for a while after a run, so a call right after another step's pays for that step's spinning. The order
 * turns every round, so that the noise of a shared machine falls on all steps alike. One step works too.
 *
 * @example
 * const [raw, cnnx] = await measureLatencies([() => session.run(feeds), () => classifier.run(feeds)], {
 *   batch: 32,
 *   seconds: 2,
 * });
 * raw.length; // → 1480 (one latency in ms per measured run)
 */
export async function measureLatencies(
  steps: readonly MeasuredStep[],
  options: MeasureOptions,
): Promise<number[][]> {
  checkOptions(options);
  const samples = steps.map(() => [] as number[]);
  const spent = steps.map(() => 0);
  const warmupRuns = options.warmupRuns ?? 3;
  for (const step of steps) for (let i = 0; i < warmupRuns; i++) await step();
  const budget = options.seconds * 1000;
  const block = Math.max(50, budget / 6);
  const minimum = options.minimumRuns ?? (options.batch >= 256 ? 10 : 50);
  // A step is done after its time budget and its minimum of runs, or after 4× the budget (a slow step).
  const done = (i: number) =>
    spent[i]! >= budget * 4 || (spent[i]! >= budget && samples[i]!.length >= minimum);
  for (let round = 0; !steps.every((_, i) => done(i)); round++) {
    for (let k = 0; k < steps.length; k++) {
      const i = (round + k) % steps.length;
      if (done(i)) continue;
      const step = steps[i]!;
      await step(); // pays for the previous step's spinning threads; not counted
      let inBlock = 0;
      while (inBlock < block && !done(i)) {
        const start = performance.now();
        await step();
        const elapsed = performance.now() - start;
        samples[i]!.push(elapsed);
        spent[i]! += elapsed;
        inBlock += elapsed;
      }
    }
  }
  return samples;
}

/**
 * Images per second and latency quantiles of one step's latencies (in ms), `batch` images per run.
 *
 * @example
 * summariseLatencies([2, 1, 4, 3], 8);
 * // → { batch: 8, runs: 4, seconds: 0.01, imagesPerSecond: 3200, p50Ms: 3, p90Ms: 4, p99Ms: 4 }
 */
export function summariseLatencies(latencies: readonly number[], batch: number): ThroughputSummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const totalMs = latencies.reduce((sum, latency) => sum + latency, 0);
  return {
    batch,
    runs: latencies.length,
    seconds: totalMs / 1000,
    imagesPerSecond: (batch * latencies.length) / (totalMs / 1000),
    p50Ms: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: quantile(sorted, 0.99),
  };
}

/**
 * Measures one step for about `seconds` after a warm-up (see {@link measureLatencies}) and summarises it.
 *
 * @example
 * const feeds = { input: { type: 'float32', dims: [32, 28, 28, 1], data: new Float32Array(32 * 784) } };
 * await measureThroughput(() => classifier.run(feeds), { batch: 32, seconds: 2 });
 * // → { batch: 32, runs: 3921, seconds: 2.0003, imagesPerSecond: 62726, p50Ms: 0.49, p90Ms: 0.58, p99Ms: 0.91 }
 */
export async function measureThroughput(
  step: MeasuredStep,
  options: MeasureOptions,
): Promise<ThroughputSummary> {
  const [latencies] = await measureLatencies([step], options);
  return summariseLatencies(latencies ?? [], options.batch);
}

/**
 * Random float32 feeds (uniform in [0, 1)) for every model input at `batch`, to measure a model with: the
 * first dimension is the batch, the others must be fixed sizes. An input that cannot be fed so is a
 * TypeError (not float32, a scalar, another free dimension); a fixed first dimension other than `batch` is a
 * RangeError naming the size the model takes.
 *
 * @example
 * const feeds = randomFeeds(classifier.info.inputs, 32);
 * await measureThroughput(() => classifier.run(feeds), { batch: 32, seconds: 2 });
 */
export function randomFeeds(inputs: readonly ValueInfo[], batch: number): Record<string, TensorLike> {
  const feeds: Record<string, TensorLike> = {};
  for (const input of inputs) {
    const [first, ...rest] = input.shape;
    const named = `input '${input.name}' ${formatShape(input.shape)}`;
    if (input.type !== 'float32')
      throw new TypeError(`${named} is ${input.type}; only float32 inputs are fed`);
    if (first === undefined) throw new TypeError(`${named} is a scalar; it needs a batch dimension`);
    if (typeof first === 'number' && first >= 0 && first !== batch) {
      throw new RangeError(`${named} has a fixed batch of ${first}`);
    }
    const unknown = rest.find((size) => typeof size !== 'number' || size < 0);
    if (unknown !== undefined) {
      throw new TypeError(
        `${named} has the free dimension '${unknown}' besides the batch; it needs fixed sizes there`,
      );
    }
    const dims = [batch, ...(rest as number[])];
    const size = dims.reduce((product, dim) => product * dim, 1);
    feeds[input.name] = { type: 'float32', dims, data: Float32Array.from({ length: size }, Math.random) };
  }
  return feeds;
}
