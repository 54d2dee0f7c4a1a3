import { createRandom } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../types.js';

/** The classical models `cnnx compare --baselines` trains next to the CNNs. */
export type BaselineName = 'logistic-regression' | 'mlp' | 'knn' | 'linear-svm';

/** Every baseline, in the order they are reported. */
export const BASELINE_NAMES: readonly BaselineName[] = ['logistic-regression', 'mlp', 'knn', 'linear-svm'];

/** What one baseline scored and how long it took. */
export interface BaselineResult {
  name: BaselineName;
  description: string;
  /** Trainable parameters (0 for k-NN, which keeps the training images instead). */
  parameters: number;
  accuracy: number;
  /** The predicted class of each test image. */
  predicted: Uint8Array;
  trainSeconds: number;
  predictSeconds: number;
}

/** Options of {@link trainBaseline}. */
export interface BaselineOptions {
  /** Passes over the training images for the gradient-trained baselines (default 10). */
  epochs?: number;
  /** Images per gradient step (default 128) and per k-NN distance block (default 256). */
  batchSize?: number;
  /** Seed of the initial weights and the shuffling (default 42). */
  seed?: number;
  /** Neighbours for k-NN (default 3). */
  k?: number;
}

const DESCRIPTIONS: Record<BaselineName, string> = {
  'logistic-regression': 'multinomial logistic regression (softmax on the pixels, Adam)',
  mlp: 'multilayer perceptron (784 → 128 ReLU → classes, Adam)',
  knn: 'k-nearest neighbours (Euclidean, brute force on the matrix product)',
  'linear-svm': 'linear SVM, one-vs-rest hinge loss with L2 penalty (Adam)',
};

/**
 * Trains one classical baseline on `train` (pixels scaled to [0, 1], flattened) and scores it on
 * `test`, with tfjs on the current backend.
 *
 * @example
 * const result = await trainBaseline('knn', trainSet, testSet);
 * result.accuracy; // ≈ 0.95 on the embedded digits
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
  const started = performance.now();
  let trained: Trained;
  if (name === 'knn') trained = fitNearestNeighbours(train, features, options.k ?? 3, classes);
  else trained = await fitLinearModel(name, train, features, classes, options);
  const trainSeconds = (performance.now() - started) / 1000;

  const predictStarted = performance.now();
  const predicted = await trained.predict(test, options.batchSize ?? 256);
  const predictSeconds = (performance.now() - predictStarted) / 1000;
  trained.dispose();

  let correct = 0;
  for (let index = 0; index < test.count; index++) if (predicted[index] === test.labels[index]) correct++;
  return {
    name,
    description: DESCRIPTIONS[name],
    parameters: trained.parameters,
    accuracy: test.count === 0 ? 0 : correct / test.count,
    predicted,
    trainSeconds,
    predictSeconds,
  };
}

interface Trained {
  parameters: number;
  predict(set: ImageSet, batchSize: number): Promise<Uint8Array>;
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

/** Rows `start..end` of a byte image set as an (end − start) × features float tensor in [0, 1]. */
function pixelRows(set: ImageSet, features: number, start: number, end: number): tf.Tensor2D {
  const bytes = set.images.subarray(start * features, end * features);
  const floats = new Float32Array(bytes.length);
  for (let index = 0; index < bytes.length; index++) floats[index] = (bytes[index] as number) / 255;
  return tf.tensor2d(floats, [end - start, features]);
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

/** A seeded Fisher–Yates order of `count` indices (`@cnnx/data`'s generator). */
function shuffledOrder(count: number, seed: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  return createRandom(seed).shuffle(order);
}

/** Logistic regression, MLP and linear SVM: a small dense model trained by gradient steps. */
async function fitLinearModel(
  name: Exclude<BaselineName, 'knn'>,
  train: ImageSet,
  features: number,
  classes: number,
  options: BaselineOptions,
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
  const loss = (pixels: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar => {
    const logits = scores(pixels);
    if (name === 'linear-svm') {
      // One-vs-rest hinge: each class's score should be ≥ 1 for its images and ≤ −1 for the others.
      const signs = tf.oneHot(labels, classes).mul(2).sub(1);
      const hinge = tf
        .relu(tf.scalar(1).sub(signs.mul(logits)))
        .sum(1)
        .mean();
      return hinge.add(
        tf
          .square(weights[0] as tf.Variable)
          .sum()
          .mul(1e-4),
      ) as tf.Scalar;
    }
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), logits) as tf.Scalar;
  };
  const optimizer = tf.train.adam({ mlp: 0.001, 'logistic-regression': 0.005, 'linear-svm': 0.02 }[name]);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffledOrder(train.count, seed + epoch);
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
    predict: async (set, batchSize) => {
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
      }
      return predicted;
    },
    dispose: () => {
      points.dispose();
      squaredNorms.dispose();
    },
  };
}
