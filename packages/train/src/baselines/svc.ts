/**
 * scikit-learn's `SVC()` (an RBF-kernel C-SVC, C = 1, gamma = 'scale') trained by libsvm compiled to wasm,
 * the library scikit-learn's SVC wraps. libsvm trains synchronously, so it runs in a worker thread: the
 * caller's event loop stays free to draw progress, and libsvm-js's process-wide side effects stay there.
 *
 * The trained decision function is then evaluated with tfjs, a block of test images at a time: the RBF
 * kernel against every support vector from one matrix product, and the one-vs-one decision values of every
 * pair of classes from a second. libsvm-js can only predict one image at a time from every pixel, zeros
 * included, which took 10 ms a digit where scikit-learn takes 3-4.
 */

import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../types.js';
import type { SvcDecision, SvcParameters } from './libsvm.js';
import { pixelRows } from './pixels.js';
import { stratifiedSample } from './sample.js';

/** What the worker is started with. */
export interface SvcJob {
  train: Uint8Array;
  labels: Uint8Array;
  trainCount: number;
  features: number;
  classes: number;
  parameters: SvcParameters;
}

/** What the worker posts back. */
export type SvcMessage =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'trained'; decision: SvcDecision; trainSeconds: number }
  | { kind: 'failed'; message: string };

/** A trained SVC's predictions on the test images. */
export interface SvcResult {
  predicted: Uint8Array;
  supportVectors: number;
  gamma: number;
  trainSeconds: number;
  predictSeconds: number;
}

/** Progress of a baseline: pairs of classes trained, trees grown, epochs or test images predicted. */
export interface SvcProgress {
  phase: 'train' | 'predict';
  done: number;
  total: number;
}

/**
 * scikit-learn's gamma = 'scale': 1 / (features × the variance of every pixel of every training image),
 * with pixels scaled to [0, 1]. Computed from a histogram of the bytes, so the sums are exact.
 *
 * @example
 * svcGamma(trainSet); // 0.01336 on mnist-sample's 8,499 training digits
 */
export function svcGamma(train: ImageSet): number {
  const counts = new Float64Array(256);
  for (const value of train.images) counts[value] = (counts[value] as number) + 1;
  let sum = 0;
  let squares = 0;
  counts.forEach((count, value) => {
    sum += count * value;
    squares += count * value * value;
  });
  const total = train.images.length;
  const mean = sum / total;
  const variance = (squares / total - mean * mean) / (255 * 255);
  const features = total / train.count;
  return variance > 0 ? 1 / (features * variance) : 1;
}

/**
 * Trains an RBF SVC on `train` with libsvm in a worker thread and predicts `test` with tfjs, reporting
 * progress (45 pairs of classes for ten classes, then test images).
 *
 * @example
 * const result = await trainSvc(trainSet, testSet, { onProgress: (p) => console.log(p.done, p.total) });
 * result.supportVectors; // 3,370 of mnist-sample's 8,499 training digits
 */
export async function trainSvc(
  train: ImageSet,
  test: ImageSet,
  options: { cost?: number; cacheMb?: number; onProgress?: (progress: SvcProgress) => void } = {},
): Promise<SvcResult> {
  const gamma = svcGamma(train);
  const trained = await trainInWorker(train, gamma, options);
  const started = performance.now();
  const predicted = await predictSvc(train, test, trained.decision, gamma, (done, total) =>
    options.onProgress?.({ phase: 'predict', done, total }),
  );
  return {
    predicted,
    supportVectors: trained.decision.supportImages.length,
    gamma,
    trainSeconds: trained.trainSeconds,
    predictSeconds: (performance.now() - started) / 1000,
  };
}

function trainInWorker(
  train: ImageSet,
  gamma: number,
  options: { cost?: number; cacheMb?: number; onProgress?: (progress: SvcProgress) => void },
): Promise<{ decision: SvcDecision; trainSeconds: number }> {
  const job: SvcJob = {
    train: train.images,
    labels: train.labels,
    trainCount: train.count,
    features: train.images.length / train.count,
    classes: train.classNames.length,
    parameters: { gamma, cost: options.cost ?? 1, cacheMb: options.cacheMb ?? 200 },
  };
  return new Promise((resolve, reject) => {
    const worker = startWorker(job);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      outcome();
    };
    worker.on('message', (message: SvcMessage) => {
      if (message.kind === 'progress') options.onProgress?.({ phase: 'train', ...message });
      else if (message.kind === 'trained') settle(() => resolve(message));
      else settle(() => reject(new Error(`libsvm failed: ${message.message}`)));
    });
    worker.on('error', (error) => settle(() => reject(new Error(`libsvm failed: ${error.message}`))));
    worker.on('exit', (code) =>
      settle(() =>
        reject(new Error(`the libsvm worker thread stopped (exit code ${code}) before it finished`)),
      ),
    );
  });
}

/**
 * libsvm's one-vs-one prediction: for each pair of classes (i, j), the decision value
 * Σ coef·K(x, sv) − rho over the support vectors of i and j votes for i when positive, else j; the class
 * with the most votes wins, the first in label order on a tie. Kernels and sums in float32 on tfjs.
 */
async function predictSvc(
  train: ImageSet,
  test: ImageSet,
  decision: SvcDecision,
  gamma: number,
  onProgress: (done: number, total: number) => void,
): Promise<Uint8Array> {
  const features = train.images.length / train.count;
  const { labels, perClass, supportImages, coefficients } = decision;
  const classes = labels.length;
  const pairs = (classes * (classes - 1)) / 2;
  const first = perClass.map((_, label) => perClass.slice(0, label).reduce((sum, count) => sum + count, 0));
  // weights[vector, pair]: the vector's coefficient in that pair's decision value, 0 outside its two classes.
  const weights = new Float32Array(supportImages.length * pairs);
  let pair = 0;
  for (let i = 0; i < classes; i++) {
    for (let j = i + 1; j < classes; j++) {
      for (const [own, other] of [
        [i, j - 1],
        [j, i],
      ] as const) {
        for (
          let vector = first[own] as number;
          vector < (first[own] as number) + (perClass[own] as number);
          vector++
        ) {
          weights[vector * pairs + pair] = coefficients[vector * (classes - 1) + other] as number;
        }
      }
      pair++;
    }
  }
  const supportPixels = new Uint8Array(supportImages.length * features);
  supportImages.forEach((image, vector) => {
    supportPixels.set(train.images.subarray(image * features, (image + 1) * features), vector * features);
  });
  const support = pixelRows(
    { ...train, images: supportPixels, count: supportImages.length },
    features,
    0,
    supportImages.length,
  );
  const supportNorms = support.square().sum(1);
  const weightMatrix = tf.tensor2d(weights, [supportImages.length, pairs]);
  const rho = tf.tensor1d(Float32Array.from(decision.rho));
  const predicted = new Uint8Array(test.count);
  const votes = new Int32Array(classes);
  const block = 256;
  try {
    for (let start = 0; start < test.count; start += block) {
      const end = Math.min(test.count, start + block);
      const values = tf.tidy(() => {
        const images = pixelRows(test, features, start, end);
        const distances = images
          .square()
          .sum(1, true)
          .add(supportNorms)
          .sub(images.matMul(support, false, true).mul(2));
        return tf.exp(distances.mul(-gamma)).matMul(weightMatrix).sub(rho);
      });
      const decided = await values.data();
      values.dispose();
      for (let row = 0; row < end - start; row++) {
        votes.fill(0);
        let at = row * pairs;
        for (let i = 0; i < classes; i++) {
          for (let j = i + 1; j < classes; j++) {
            const winner = (decided[at++] as number) > 0 ? i : j;
            votes[winner] = (votes[winner] as number) + 1;
          }
        }
        let best = 0;
        for (let label = 1; label < classes; label++)
          if ((votes[label] as number) > (votes[best] as number)) best = label;
        predicted[start + row] = labels[best] as number;
      }
      onProgress(end, test.count);
    }
  } finally {
    support.dispose();
    supportNorms.dispose();
    weightMatrix.dispose();
    rho.dispose();
  }
  return predicted;
}

/** Starts the worker: its compiled file next to this one, or through tsx when running from the sources. */
function startWorker(job: SvcJob): Worker {
  const options = { workerData: job };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./svc-worker.js', import.meta.url), options);
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./svc-worker.ts', import.meta.url).href;
  const source = `import { tsImport } from ${JSON.stringify(api)}; await tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), options);
}

/** Training images of the probe that {@link estimateSvc} trains. */
export const SVC_PROBE_IMAGES = 2000;

/** Above this many training images, `cnnx compare` estimates the SVC's time before it starts. */
export const SVC_ESTIMATE_ABOVE = 10_000;

/**
 * How libsvm's time grows with the training images n, measured on Fashion-MNIST (1,000 → 16,000 images:
 * training time as n^1.77, support vectors as n^0.81) and mnist-sample (support vectors as n^0.72).
 */
const TRAIN_EXPONENT = 1.8;
const SUPPORT_VECTOR_EXPONENT = 0.8;

/** How long the SVC should take, from a probe on a stratified sample. */
export interface SvcEstimate {
  trainImages: number;
  testImages: number;
  /** Estimated seconds to train on all of `trainImages` and predict `testImages`. */
  seconds: number;
  probeImages: number;
  probeSeconds: number;
  /**
   * The largest `--baseline-limit` (a multiple of 1,000 when above the probe) whose estimate fits in the
   * budget, or the probe's size when none does; null when all of `trainImages` fit.
   */
  suggestedLimit: number | null;
  /** Estimated seconds with `suggestedLimit` training images. */
  suggestedSeconds: number | null;
}

/**
 * Estimates the SVC's time on `train` and `test` by training it on a stratified sample of
 * {@link SVC_PROBE_IMAGES} images (and predicting 1,000 test images), then scaling: training time grows as
 * n^1.8 and prediction time with the support vectors, as n^0.8. Rough (a factor of 2 either way): it tells
 * a 1-minute job from a 1-hour one.
 *
 * @example
 * const estimate = await estimateSvc(train, test, { budgetSeconds: 60 });
 * estimate.seconds;        // 2,900 for Fashion-MNIST's 60,000 training images
 * estimate.suggestedLimit; // 5,000
 */
export async function estimateSvc(
  train: ImageSet,
  test: ImageSet,
  options: { seed?: number; budgetSeconds?: number } = {},
): Promise<SvcEstimate> {
  const budgetSeconds = options.budgetSeconds ?? 60;
  const probeTrain = stratifiedSample(train, SVC_PROBE_IMAGES, options.seed ?? 42);
  const probeTest = { ...test, count: Math.min(1000, test.count) };
  probeTest.images = test.images.subarray(
    0,
    probeTest.count * (test.images.length / Math.max(1, test.count)),
  );
  const probe = await trainSvc(probeTrain, probeTest);
  const predictPerImage = probe.predictSeconds / Math.max(1, probeTest.count);
  const secondsFor = (images: number) => {
    const growth = images / probeTrain.count;
    return (
      probe.trainSeconds * growth ** TRAIN_EXPONENT +
      predictPerImage * test.count * growth ** SUPPORT_VECTOR_EXPONENT
    );
  };
  const seconds = secondsFor(train.count);
  let suggestedLimit: number | null = null;
  if (seconds > budgetSeconds) {
    suggestedLimit = probeTrain.count;
    for (let limit = 1000 * Math.ceil(probeTrain.count / 1000); limit < train.count; limit += 1000) {
      if (secondsFor(limit) > budgetSeconds) break;
      suggestedLimit = limit;
    }
  }
  return {
    trainImages: train.count,
    testImages: test.count,
    seconds,
    probeImages: probeTrain.count,
    probeSeconds: probe.trainSeconds + probe.predictSeconds,
    suggestedLimit,
    suggestedSeconds: suggestedLimit === null ? null : secondsFor(suggestedLimit),
  };
}

/**
 * The estimate as one line for the terminal.
 *
 * @example
 * describeSvcEstimate(estimate);
 * // 'svc: about 48 min to train on 60,000 images and predict 10,000 (a probe on 2,000 took 3.1 s); --baseline-limit 5000 takes about 55 s'
 */
export function describeSvcEstimate(estimate: SvcEstimate): string {
  const count = (value: number) => value.toLocaleString('en-US');
  const line = `svc: about ${formatDuration(estimate.seconds)} to train on ${count(estimate.trainImages)} images and predict ${count(estimate.testImages)} (a probe on ${count(estimate.probeImages)} took ${estimate.probeSeconds.toFixed(1)} s)`;
  if (estimate.suggestedLimit === null || estimate.suggestedSeconds === null) return line;
  return `${line}; --baseline-limit ${estimate.suggestedLimit} takes about ${formatDuration(estimate.suggestedSeconds)}`;
}

function formatDuration(seconds: number): string {
  if (seconds < 59.5) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
