import { createRandom } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../types.js';
import { pixelRows } from './pixels.js';
import { fitRandomForest } from './random-forest.js';
import { trainSvc } from './svc.js';

/** The classical models `cnnx compare --baselines` trains next to the CNNs. */
export type BaselineName = 'logistic-regression' | 'svc' | 'random-forest' | 'knn' | 'mlp';

/** Every baseline, in the order they are reported: the notebook's four, then cnnx's MLP. */
export const BASELINE_NAMES: readonly BaselineName[] = [
  'logistic-regression',
  'svc',
  'random-forest',
  'knn',
  'mlp',
];

/** What a baseline is, what scikit-learn calls it, and what trains it. */
export interface BaselineInfo {
  description: string;
  /** The scikit-learn estimator it reproduces, as the notebook writes it; null for cnnx's own extra. */
  sklearn: string | null;
  /** The code that trains it. */
  implementation: string;
}

/** The baselines, described. */
export const BASELINES: Readonly<Record<BaselineName, BaselineInfo>> = {
  'logistic-regression': {
    description: 'multinomial logistic regression with an L2 penalty (C = 1), softmax on the pixels',
    sklearn: 'LogisticRegression(max_iter=1000)',
    implementation: 'cnnx on TensorFlow.js (Adam)',
  },
  svc: {
    description: 'support vector machine with an RBF kernel, C = 1, gamma = scale, one-vs-one',
    sklearn: 'SVC()',
    implementation: 'libsvm (libsvm-js, wasm)',
  },
  'random-forest': {
    description: '100 trees grown to purity on bootstrap samples, √features per split, Gini',
    sklearn: 'RandomForestClassifier(n_estimators=100)',
    implementation: 'cnnx',
  },
  knn: {
    description: 'k-nearest neighbours, k = 3, Euclidean, brute force',
    sklearn: 'KNeighborsClassifier(n_neighbors=3)',
    implementation: 'cnnx on TensorFlow.js (one matrix product per block of test images)',
  },
  mlp: {
    description: 'multilayer perceptron, 784 → 128 ReLU → classes',
    sklearn: null,
    implementation: 'cnnx on TensorFlow.js (Adam)',
  },
};

/**
 * Reads a comma-separated list of baseline names (`true`, the flag given alone, means all of them), in
 * the order given, without repeats.
 *
 * @example
 * parseBaselineNames('svc,knn'); // ['svc', 'knn']
 * parseBaselineNames(true);      // ['logistic-regression', 'svc', 'random-forest', 'knn', 'mlp']
 * parseBaselineNames('forest');  // RangeError: unknown baseline 'forest'; expected a comma-separated list of …
 */
export function parseBaselineNames(list: string | true): BaselineName[] {
  if (list === true) return [...BASELINE_NAMES];
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(BASELINE_NAMES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    const what =
      unknown.length > 0
        ? `unknown baseline ${unknown.map((name) => `'${name}'`).join(', ')}`
        : 'no baseline';
    throw new RangeError(`${what}; expected a comma-separated list of ${BASELINE_NAMES.join(', ')}`);
  }
  return [...new Set(names as BaselineName[])];
}

/** What one baseline scored and how long it took. */
export interface BaselineResult {
  name: BaselineName;
  description: string;
  /**
   * Numbers learnt in training: weights and biases (logistic regression, MLP), dual coefficients and
   * intercepts (SVC; its support vectors are training images it keeps), thresholds and leaf class shares
   * (random forest); 0 for k-NN, which keeps the training images instead.
   */
  parameters: number;
  accuracy: number;
  /** The predicted class of each test image. */
  predicted: Uint8Array;
  trainSeconds: number;
  /** Training images × passes over them, per second of training; null for k-NN, which does not train. */
  trainImagesPerSecond: number | null;
  predictSeconds: number;
  /** A figure worth printing beside the accuracy, such as the SVC's support vectors. */
  note?: string;
}

/** How far a baseline has got: classes pairs, trees, epochs or test images. */
export interface BaselineProgress {
  name: BaselineName;
  phase: 'train' | 'predict';
  done: number;
  total: number;
  /** What `done` counts: 'class pairs', 'trees', 'epochs' or 'test images'. */
  unit: string;
}

/** Options of {@link trainBaseline}. */
export interface BaselineOptions {
  /** Passes over the training images for the gradient-trained baselines (default 10). */
  epochs?: number;
  /** Images per gradient step (default 128) and per k-NN distance block (default 256). */
  batchSize?: number;
  /** Seed of the initial weights, the shuffling and the forest's draws (default 42). */
  seed?: number;
  /** Neighbours for k-NN (default 3). */
  k?: number;
  /** Trees of the random forest (default 100). */
  trees?: number;
  /** Called as training and prediction move on (from the event loop: a bar can redraw). */
  onProgress?: (progress: BaselineProgress) => void;
}

/**
 * Trains one classical baseline on `train` (pixels scaled to [0, 1], flattened) and scores it on
 * `test`: the SVC with libsvm in a worker thread, the random forest in plain TypeScript, the others with
 * tfjs on the current backend.
 *
 * @example
 * const result = await trainBaseline('svc', trainSet, testSet, { onProgress: (p) => console.log(p.done) });
 * result.accuracy; // 0.9593 on mnist-sample's test digits, as scikit-learn's SVC()
 */
export async function trainBaseline(
  name: BaselineName,
  train: ImageSet,
  test: ImageSet,
  options: BaselineOptions = {},
): Promise<BaselineResult> {
  if (!BASELINE_NAMES.includes(name)) {
    throw new RangeError(`'name' is ${JSON.stringify(name)}; expected one of ${BASELINE_NAMES.join(', ')}`);
  }
  const classes = train.classNames.length;
  const features = checkSets(train, test);
  const report = (phase: BaselineProgress['phase'], unit: string) => (done: number, total: number) =>
    options.onProgress?.({ name, phase, done, total, unit });
  const result = (
    fields: Pick<BaselineResult, 'parameters' | 'predicted' | 'trainSeconds' | 'predictSeconds' | 'note'> & {
      passes: number | null;
    },
  ): BaselineResult => {
    const { passes, ...rest } = fields;
    let correct = 0;
    for (let index = 0; index < test.count; index++)
      if (rest.predicted[index] === test.labels[index]) correct++;
    return {
      name,
      description: BASELINES[name].description,
      accuracy: test.count === 0 ? 0 : correct / test.count,
      trainImagesPerSecond:
        passes === null ? null : (train.count * passes) / Math.max(rest.trainSeconds, 1e-9),
      ...rest,
    };
  };

  if (name === 'svc') {
    const trainProgress = report('train', 'class pairs');
    const predictProgress = report('predict', 'test images');
    const svc = await trainSvc(train, test, {
      onProgress: (p) => (p.phase === 'train' ? trainProgress : predictProgress)(p.done, p.total),
    });
    const pairs = (classes * (classes - 1)) / 2;
    return result({
      parameters: svc.supportVectors * (classes - 1) + pairs,
      predicted: svc.predicted,
      trainSeconds: svc.trainSeconds,
      predictSeconds: svc.predictSeconds,
      passes: 1,
      note: `${svc.supportVectors.toLocaleString('en-US')} support vectors, gamma ${svc.gamma.toPrecision(4)}`,
    });
  }
  if (name === 'random-forest') {
    const started = performance.now();
    const forest = await fitRandomForest(train, {
      trees: options.trees ?? 100,
      seed: options.seed ?? 42,
      onTree: report('train', 'trees'),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const predictStarted = performance.now();
    const predicted = forest.predict(test.images, test.count);
    return result({
      parameters: forest.parameters,
      predicted,
      trainSeconds,
      predictSeconds: (performance.now() - predictStarted) / 1000,
      passes: 1,
      note: `${forest.nodes.toLocaleString('en-US')} nodes in ${forest.trees} trees`,
    });
  }

  const started = performance.now();
  let trained: Trained;
  if (name === 'knn') trained = fitNearestNeighbours(train, features, options.k ?? 3, classes);
  else trained = await fitLinearModel(name, train, features, classes, options, report('train', 'epochs'));
  const trainSeconds = (performance.now() - started) / 1000;

  const predictStarted = performance.now();
  const predicted = await trained.predict(test, options.batchSize ?? 256, report('predict', 'test images'));
  const predictSeconds = (performance.now() - predictStarted) / 1000;
  trained.dispose();
  return result({
    parameters: trained.parameters,
    predicted,
    trainSeconds,
    predictSeconds,
    passes: name === 'knn' ? null : (options.epochs ?? 10),
  });
}

interface Trained {
  parameters: number;
  predict(
    set: ImageSet,
    batchSize: number,
    onProgress: (done: number, total: number) => void,
  ): Promise<Uint8Array>;
  dispose(): void;
}

function checkSets(train: ImageSet, test: ImageSet): number {
  const features = train.images.length / Math.max(1, train.count);
  if (!Number.isInteger(features) || train.images.length !== train.count * features || train.count === 0) {
    throw new RangeError(`'train' has ${train.images.length} bytes for ${train.count} images`);
  }
  if (test.images.length !== test.count * features) {
    throw new RangeError(
      `'test' has ${test.images.length} bytes for ${test.count} images; expected ${features} bytes per image like 'train'`,
    );
  }
  return features;
}

async function argmaxBatches(
  set: ImageSet,
  features: number,
  batchSize: number,
  score: (pixels: tf.Tensor2D) => tf.Tensor2D,
): Promise<Uint8Array> {
  const predicted = new Uint8Array(set.count);
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const best = tf.tidy(() => score(pixelRows(set, features, start, end)).argMax(1));
    predicted.set(await best.data(), start);
    best.dispose();
  }
  return predicted;
}

/**
 * Logistic regression and the MLP: a small dense model trained by Adam on mini-batches. Logistic
 * regression minimises scikit-learn's objective for C = 1 — the summed cross-entropy plus ½‖W‖² on the
 * weights (not the intercepts) — written per image as the mean cross-entropy plus ‖W‖² / (2n).
 */
async function fitLinearModel(
  name: 'logistic-regression' | 'mlp',
  train: ImageSet,
  features: number,
  classes: number,
  options: BaselineOptions,
  onEpoch: (done: number, total: number) => void,
): Promise<Trained> {
  const seed = options.seed ?? 42;
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 128;
  const hidden = 128;
  const glorot = (rows: number, columns: number, offset: number) =>
    tf.variable(
      tf.randomUniform([rows, columns], -1, 1, 'float32', seed + offset).mul(Math.sqrt(6 / (rows + columns))),
    );
  const weights: tf.Variable[] =
    name === 'mlp'
      ? [
          glorot(features, hidden, 0),
          tf.variable(tf.zeros([hidden])),
          glorot(hidden, classes, 1),
          tf.variable(tf.zeros([classes])),
        ]
      : [glorot(features, classes, 0), tf.variable(tf.zeros([classes]))];
  const scores = (pixels: tf.Tensor2D): tf.Tensor2D => {
    if (name === 'mlp') {
      const [w1, b1, w2, b2] = weights as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
      return tf.relu(pixels.matMul(w1).add(b1)).matMul(w2).add(b2) as tf.Tensor2D;
    }
    const [w, b] = weights as [tf.Variable, tf.Variable];
    return pixels.matMul(w).add(b) as tf.Tensor2D;
  };
  const penalty = name === 'logistic-regression' ? 1 / (2 * train.count) : 0;
  const loss = (pixels: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar => {
    const crossEntropy = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), scores(pixels));
    if (penalty === 0) return crossEntropy as tf.Scalar;
    return crossEntropy.add(
      tf
        .square(weights[0] as tf.Variable)
        .sum()
        .mul(penalty),
    ) as tf.Scalar;
  };
  const optimizer = tf.train.adam(name === 'mlp' ? 0.001 : 0.005);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = createRandom(seed + epoch).shuffle(
      Uint32Array.from({ length: train.count }, (_, index) => index),
    );
    for (let start = 0; start < train.count; start += batchSize) {
      const batch = order.subarray(start, Math.min(train.count, start + batchSize));
      const floats = new Float32Array(batch.length * features);
      const labels = new Int32Array(batch.length);
      batch.forEach((image, row) => {
        const bytes = train.images.subarray(image * features, (image + 1) * features);
        for (let index = 0; index < features; index++)
          floats[row * features + index] = (bytes[index] as number) / 255;
        labels[row] = train.labels[image] as number;
      });
      tf.tidy(() => {
        const pixels = tf.tensor2d(floats, [batch.length, features]);
        const targets = tf.tensor1d(labels, 'int32');
        optimizer.minimize(() => loss(pixels, targets), false, weights);
      });
    }
    onEpoch(epoch + 1, epochs);
    await new Promise((resolve) => setImmediate(resolve));
  }
  optimizer.dispose();
  return {
    parameters: weights.reduce((sum, weight) => sum + weight.size, 0),
    predict: (set, size) => argmaxBatches(set, features, size, scores),
    dispose: () => {
      for (const weight of weights) weight.dispose();
    },
  };
}

/**
 * k-nearest neighbours by brute force: squared distances ‖a‖² − 2·a·b + ‖b‖² from one matrix product
 * per block of test images, the k smallest by `topk`, then a majority vote (ties go to the smallest
 * class, as scikit-learn's uniform-weight vote does).
 */
function fitNearestNeighbours(train: ImageSet, features: number, k: number, classes: number): Trained {
  if (!Number.isInteger(k) || k < 1 || k > train.count) {
    throw new RangeError(`'k' is ${k}; expected an integer from 1 to ${train.count}`);
  }
  const points = pixelRows(train, features, 0, train.count);
  const squaredNorms = points.square().sum(1);
  const labels = train.labels;
  return {
    parameters: 0,
    predict: async (set, batchSize, onProgress) => {
      const predicted = new Uint8Array(set.count);
      for (let start = 0; start < set.count; start += batchSize) {
        const end = Math.min(set.count, start + batchSize);
        const nearest = tf.tidy(() => {
          const queries = pixelRows(set, features, start, end);
          // ‖q‖² is the same for every candidate of a query, so it does not change the order.
          const distances = squaredNorms.expandDims(0).sub(queries.matMul(points, false, true).mul(2));
          return tf.topk(distances.neg(), k).indices;
        });
        const indices = await nearest.data();
        nearest.dispose();
        for (let row = 0; row < end - start; row++) {
          const votes = new Array<number>(classes).fill(0);
          for (let neighbour = 0; neighbour < k; neighbour++) {
            const label = labels[indices[row * k + neighbour] as number] as number;
            votes[label] = (votes[label] as number) + 1;
          }
          let best = 0;
          for (let label = 1; label < classes; label++)
            if ((votes[label] as number) > (votes[best] as number)) best = label;
          predicted[start + row] = best;
        }
        onProgress(end, set.count);
      }
      return predicted;
    },
    dispose: () => {
      points.dispose();
      squaredNorms.dispose();
    },
  };
}
