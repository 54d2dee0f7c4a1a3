/**
 * One training step as an ONNX graph, run in onnxruntime-node, against the same step in tfjs's cpu backend
 * on the same weights and batch of real digits: the loss, the number of correct predictions, every
 * gradient and every value after the optimizer's update, each within 1e-5 of tfjs relative to its scale.
 * One case per layer (and option), loss and optimizer; the ONNX checker (python3-onnx) reads every graph.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadDataset } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { onnx } from '../src/graph/proto.js';
import {
  buildTrainingGraph,
  nchwcProbeModel,
  type TrainingGraph,
  type TrainingSettings,
} from '../src/index.js';
import { buildClassic, CheckerBatch } from './helpers.js';
import { assertStepsAgree, type Batch, initialState, runGraphStep, tfjsStep } from './training-helpers.js';

const checker = new CheckerBatch();
const L = tf.layers;

/** Real digits, scaled to [0, 1]: their max-pool windows have many ties (the background's zeros). */
let digits: { images: Float32Array; labels: Uint8Array };

/** The channel block of this machine's onnxruntime-node NCHWc kernels, as `@cnnx/runtime` measures it. */
async function nchwcBlock(): Promise<number> {
  const session = await ort.InferenceSession.create(nchwcProbeModel(), { intraOpNumThreads: 1 });
  try {
    const input = new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]);
    const output = Object.values(await session.run({ x: input }))[0]!;
    return output.dims[1]!;
  } finally {
    await session.release();
  }
}

function batchOf(count: number, offset = 0): Batch {
  const images = digits.images.slice(offset * 784, (offset + count) * 784);
  const labels = Int32Array.from(digits.labels.subarray(offset, offset + count));
  return { images, labels, count };
}

/** Seeded weights at Glorot scale (biases, γ, β and moving statistics away from their defaults). */
export function seedWeights(model: tf.LayersModel, seed: number): void {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (const layer of model.layers) {
    const values = layer.weights.map((weight) => {
      const shape = weight.shape as number[];
      const size = shape.reduce((product, dim) => product * dim, 1);
      const name = weight.originalName;
      const data = new Float32Array(size);
      if (/kernel/.test(name)) {
        const fanOut = shape[shape.length - 1]!;
        const fanIn = size / fanOut;
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        for (let i = 0; i < size; i++) data[i] = (random() * 2 - 1) * limit;
      } else if (/gamma|moving_variance/.test(name)) {
        for (let i = 0; i < size; i++) data[i] = 0.8 + random() * 0.4;
      } else {
        for (let i = 0; i < size; i++) data[i] = (random() * 2 - 1) * 0.1;
      }
      return tf.tensor(data, shape);
    });
    if (values.length > 0) layer.setWeights(values);
    tf.dispose(values);
  }
}

function sequential(inputShape: number[], layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  let output = input as tf.SymbolicTensor;
  for (const layer of layers) output = layer.apply(output) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

const head = (): tf.layers.Layer[] => [L.flatten(), L.dense({ units: 10, activation: 'softmax' })];
const conv = (options: Partial<Parameters<typeof L.conv2d>[0]> = {}) =>
  L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', ...options });

/** A conv on the images read by a MaxPooling2D and by an AveragePooling2D, their sum flattened into a Dense. */
function convReadByTwoPools(filters: number): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  const stem = conv({ filters }).apply(input) as tf.SymbolicTensor;
  const maxima = L.maxPooling2d({ poolSize: 2 }).apply(stem) as tf.SymbolicTensor;
  const means = L.averagePooling2d({ poolSize: 2 }).apply(stem) as tf.SymbolicTensor;
  const output = L.dense({ units: 10, activation: 'softmax' }).apply(
    L.flatten().apply(L.add().apply([maxima, means])),
  ) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

interface Case {
  name: string;
  build: () => tf.LayersModel;
  settings?: TrainingSettings;
  optimizer?: () => tf.Optimizer;
  batch?: () => Batch;
  /** Steps in a row (each compared), to exercise the optimizer's slots and step count. */
  steps?: number;
  learningRate?: number;
}

const layerCases: Case[] = [
  {
    name: 'classic: Conv2D same relu, MaxPooling2D 2×2 (tied windows), Flatten, Dense relu, Dense softmax',
    build: () => buildClassic(),
    batch: () => batchOf(4),
  },
  {
    name: 'Conv2D stride 2, same, bias, relu',
    build: () => sequential([28, 28, 1], [conv({ strides: 2 }), ...head()]),
  },
  {
    name: 'Conv2D stride 2, valid, tanh',
    build: () =>
      sequential([28, 28, 1], [conv({ strides: 2, padding: 'valid', activation: 'tanh' }), ...head()]),
  },
  {
    name: 'Conv2D stride 1, valid, no bias, sigmoid',
    build: () =>
      sequential([28, 28, 1], [conv({ padding: 'valid', useBias: false, activation: 'sigmoid' }), ...head()]),
  },
  {
    name: 'Conv2D 3×2 kernel, strides 2×1, same, elu',
    build: () =>
      sequential([28, 28, 1], [conv({ kernelSize: [3, 2], strides: [2, 1], activation: 'elu' }), ...head()]),
  },
  {
    name: 'Conv2D selu, then a second Conv2D (input gradient of a stride-1 conv)',
    build: () => sequential([28, 28, 1], [conv({ activation: 'selu' }), conv({ strides: 2 }), ...head()]),
  },
  {
    name: 'Conv2D stride 2 valid after a conv (input gradient by ConvTranspose)',
    build: () =>
      sequential(
        [28, 28, 1],
        [conv(), conv({ strides: 2, padding: 'valid', kernelSize: 4, activation: 'swish' }), ...head()],
      ),
  },
  {
    name: 'MaxPooling2D 2×2 on the images themselves (most windows tie at 0)',
    build: () =>
      sequential([28, 28, 1], [conv({ activation: 'linear' }), L.maxPooling2d({ poolSize: 2 }), ...head()]),
  },
  {
    // The conv's windows are taken cell by cell of the pool: one 7×7 one-hot Conv at stride 3.
    name: 'MaxPooling2D 3×3 tiling a 5×5 valid tanh conv of the images (24×24)',
    build: () =>
      sequential(
        [28, 28, 1],
        [
          conv({ kernelSize: 5, padding: 'valid', activation: 'tanh' }),
          L.maxPooling2d({ poolSize: 3 }),
          ...head(),
        ],
      ),
  },
  {
    name: 'MaxPooling2D 3×3 stride 2 same (overlapping windows, padding)',
    build: () =>
      sequential(
        [28, 28, 1],
        [conv(), L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), ...head()],
      ),
  },
  {
    name: 'MaxPooling2D 3×3 stride 3 valid on 26×26 (the windows leave out the last two rows and columns)',
    build: () =>
      sequential(
        [28, 28, 1],
        [conv({ padding: 'valid' }), L.maxPooling2d({ poolSize: 3, strides: 3 }), ...head()],
      ),
  },
  {
    name: 'MaxPooling2D 2×2 same on 13×13 (a padded edge)',
    build: () =>
      sequential(
        [28, 28, 1],
        [conv({ strides: 2, padding: 'valid' }), L.maxPooling2d({ poolSize: 2, padding: 'same' }), ...head()],
      ),
  },
  {
    name: 'AveragePooling2D 2×2 valid',
    build: () => sequential([28, 28, 1], [conv(), L.averagePooling2d({ poolSize: 2 }), ...head()]),
  },
  {
    name: 'AveragePooling2D 3×3 stride 2 same',
    build: () =>
      sequential(
        [28, 28, 1],
        [conv(), L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), ...head()],
      ),
  },
  {
    name: 'GlobalAveragePooling2D',
    build: () =>
      sequential(
        [28, 28, 1],
        [conv({ filters: 8 }), L.globalAveragePooling2d({}), L.dense({ units: 10, activation: 'softmax' })],
      ),
  },
  {
    name: 'Reshape to rank 4 and back through a Conv2D',
    build: () =>
      sequential(
        [28, 28, 1],
        [conv({ filters: 4 }), L.reshape({ targetShape: [56, 56, 1] }), conv({ strides: 2 }), ...head()],
      ),
  },
  {
    name: 'Reshape to rank 2, Dense',
    build: () =>
      sequential(
        [28, 28, 1],
        [
          L.reshape({ targetShape: [784] }),
          L.dense({ units: 16, activation: 'relu' }),
          L.dense({ units: 10, activation: 'softmax' }),
        ],
      ),
  },
  // Keras's usual order (no bias before a batch norm, whose gradient would be 0 up to rounding noise).
  {
    name: 'BatchNormalization after a Conv2D (rank 4) and after a Dense (rank 2), momentum 0.9',
    build: () =>
      sequential(
        [28, 28, 1],
        [
          conv({ useBias: false, activation: 'linear' }),
          L.batchNormalization({ momentum: 0.9 }),
          L.activation({ activation: 'relu' }),
          L.maxPooling2d({ poolSize: 2 }),
          L.flatten(),
          L.dense({ units: 16, useBias: false }),
          L.batchNormalization({ momentum: 0.9 }),
          L.activation({ activation: 'relu' }),
          L.dense({ units: 10, activation: 'softmax' }),
        ],
      ),
  },
  {
    name: 'BatchNormalization with the default momentum and epsilon 0.01',
    build: () => sequential([28, 28, 1], [conv(), L.batchNormalization({ epsilon: 0.01 }), ...head()]),
  },
  {
    // The pool alone may list the conv's windows in its cell order; with a second reader it must not.
    name: 'a conv on the images read by a MaxPooling2D and by an AveragePooling2D (tied windows)',
    build: () => convReadByTwoPools(4),
  },
  {
    name: 'Add (a residual block) and Concatenate, functional',
    build: () => {
      const input = tf.input({ shape: [28, 28, 1] });
      const stem = conv({ filters: 4 }).apply(input) as tf.SymbolicTensor;
      const pooled = L.maxPooling2d({ poolSize: 2 }).apply(stem) as tf.SymbolicTensor;
      const branch = conv({ filters: 4, activation: 'linear' }).apply(
        conv({ filters: 4 }).apply(pooled),
      ) as tf.SymbolicTensor;
      const joined = L.activation({ activation: 'relu' }).apply(
        L.add().apply([pooled, branch]),
      ) as tf.SymbolicTensor;
      const side = conv({ filters: 2 }).apply(pooled) as tf.SymbolicTensor;
      const both = L.concatenate({ axis: -1 }).apply([joined, side]) as tf.SymbolicTensor;
      const output = L.dense({ units: 10, activation: 'softmax' }).apply(
        L.flatten().apply(both),
      ) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: output });
    },
  },
  {
    name: 'Concatenate of two Dense layers (rank 2)',
    build: () => {
      const input = tf.input({ shape: [28, 28, 1] });
      const flat = L.flatten().apply(input) as tf.SymbolicTensor;
      const a = L.dense({ units: 8, activation: 'tanh' }).apply(flat) as tf.SymbolicTensor;
      const b = L.dense({ units: 5, activation: 'relu' }).apply(flat) as tf.SymbolicTensor;
      const output = L.dense({ units: 10, activation: 'softmax' }).apply(
        L.concatenate().apply([a, b]),
      ) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: output });
    },
  },
];

const activationCases: Case[] = (
  ['relu', 'relu6', 'elu', 'selu', 'sigmoid', 'tanh', 'softmax', 'linear', 'swish'] as const
).flatMap((activation) => [
  {
    name: `Dense with activation ${activation}`,
    build: () =>
      sequential(
        [28, 28, 1],
        [L.flatten(), L.dense({ units: 12, activation }), L.dense({ units: 10, activation: 'softmax' })],
      ),
  },
  {
    name: `Activation layer ${activation} on a rank-4 value`,
    build: () =>
      sequential(
        [28, 28, 1],
        [conv({ activation: 'linear', strides: 2 }), L.activation({ activation }), ...head()],
      ),
  },
]);

const lossCases: Case[] = [
  {
    name: 'sparse cross-entropy with label smoothing 0.1',
    build: () => sequential([28, 28, 1], [conv({ strides: 2 }), ...head()]),
    settings: { labelSmoothing: 0.1 },
  },
  {
    name: 'categorical cross-entropy (one-hot targets)',
    build: () => sequential([28, 28, 1], [conv({ strides: 2 }), ...head()]),
    settings: { loss: 'categorical-crossentropy' },
    batch: () => oneHot(batchOf(8)),
  },
  {
    name: 'categorical cross-entropy with label smoothing 0.2',
    build: () => sequential([28, 28, 1], [conv({ strides: 2 }), ...head()]),
    settings: { loss: 'categorical-crossentropy', labelSmoothing: 0.2 },
    batch: () => oneHot(batchOf(8)),
  },
  {
    name: 'softmax as its own Activation layer on the output',
    build: () =>
      sequential([28, 28, 1], [L.flatten(), L.dense({ units: 10 }), L.activation({ activation: 'softmax' })]),
  },
];

const small = () =>
  sequential(
    [28, 28, 1],
    [
      conv({ strides: 2 }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 16, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  );
const optimizerCases: Case[] = [
  {
    name: 'Adam, 3 steps (bias corrections, moments carried)',
    build: small,
    settings: { optimizer: 'adam' },
    optimizer: () => tf.train.adam(0.01),
    steps: 3,
    learningRate: 0.01,
  },
  {
    name: 'Adam with β₁ 0.8, β₂ 0.99, ε 1e-6',
    build: small,
    settings: { optimizer: { name: 'adam', beta1: 0.8, beta2: 0.99, epsilon: 1e-6 } },
    optimizer: () => tf.train.adam(0.02, 0.8, 0.99, 1e-6),
    steps: 2,
    learningRate: 0.02,
  },
  {
    name: 'SGD',
    build: small,
    settings: { optimizer: 'sgd' },
    optimizer: () => tf.train.sgd(0.1),
    steps: 2,
    learningRate: 0.1,
  },
  {
    name: 'SGD with momentum 0.9',
    build: small,
    settings: { optimizer: { name: 'sgd', momentum: 0.9 } },
    optimizer: () => tf.train.momentum(0.05, 0.9),
    steps: 3,
    learningRate: 0.05,
  },
  {
    name: 'SGD with Nesterov momentum',
    build: small,
    settings: { optimizer: { name: 'sgd', nesterov: true } },
    optimizer: () => tf.train.momentum(0.05, 0.9, true),
    steps: 3,
    learningRate: 0.05,
  },
  {
    name: 'RMSprop',
    build: small,
    settings: { optimizer: 'rmsprop' },
    optimizer: () => tf.train.rmsprop(0.001, 0.9, 0, 1e-7),
    steps: 3,
    learningRate: 0.001,
  },
  {
    name: 'RMSprop with momentum 0.5',
    build: small,
    settings: { optimizer: { name: 'rmsprop', momentum: 0.5 } },
    optimizer: () => tf.train.rmsprop(0.001, 0.9, 0.5, 1e-7),
    steps: 3,
    learningRate: 0.001,
  },
];

/**
 * Cases added after the lists above, run after every other: each case's weights and batch are seeded by its
 * place in the run, so the earlier cases keep theirs.
 */
const laterCases: Case[] = [
  {
    name: "Keras' two valid conv/pool stages, 28 → 26 → 13 → 11 → 5 (the second pool's windows leave out the last row and column)",
    build: () =>
      sequential(
        [28, 28, 1],
        [
          conv({ padding: 'valid' }),
          L.maxPooling2d({ poolSize: 2 }),
          conv({ padding: 'valid' }),
          L.maxPooling2d({ poolSize: 2 }),
          ...head(),
        ],
      ),
  },
  {
    name: 'Conv2D linear → Activation relu → MaxPooling2D, and a relu layer after a conv that a second layer reads',
    build: () => {
      const input = tf.input({ shape: [28, 28, 1] });
      const first = conv({ activation: 'linear' }).apply(input) as tf.SymbolicTensor;
      const pooled = L.maxPooling2d({ poolSize: 2 }).apply(
        L.activation({ activation: 'relu' }).apply(first),
      ) as tf.SymbolicTensor;
      // read by the relu layer and by the Add: not fused
      const second = conv({ activation: 'linear' }).apply(pooled) as tf.SymbolicTensor;
      const activated = L.activation({ activation: 'relu' }).apply(second) as tf.SymbolicTensor;
      const summed = L.add().apply([activated, second]) as tf.SymbolicTensor;
      const output = L.dense({ units: 10, activation: 'softmax' }).apply(
        L.flatten().apply(summed),
      ) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: output });
    },
  },
];

function oneHot(batch: Batch): Batch {
  const targets = new Float32Array(batch.count * 10);
  (batch.labels as Int32Array).forEach((label, row) => {
    targets[row * 10 + label] = 1;
  });
  return { ...batch, labels: targets };
}

/** Runs `steps` steps of the graph and of tfjs from the same weights, comparing after each. */
async function compare(testCase: Case, index: number): Promise<TrainingGraph> {
  const model = testCase.build();
  seedWeights(model, 100 + index);
  const settings: TrainingSettings = { optimizer: 'sgd', ...testCase.settings, debugOutputs: true };
  const graph = buildTrainingGraph(model, settings);
  checker.add(testCase.name, graph.bytes);
  const optimizer = testCase.optimizer?.() ?? tf.train.sgd(1);
  const learningRate = testCase.learningRate ?? 1;
  let state = initialState(model, graph);
  for (let step = 0; step < (testCase.steps ?? 1); step++) {
    const batch = testCase.batch?.() ?? batchOf(8, step * 8);
    const ours = await runGraphStep(graph, state, batch, { learningRate, step });
    const theirs = await tfjsStep(model, optimizer, batch, { labelSmoothing: settings.labelSmoothing ?? 0 });
    assertStepsAgree(graph, ours, theirs, 1e-5, `step ${step + 1}`);
    state = ours.state;
  }
  optimizer.dispose();
  model.dispose();
  return graph;
}

describe('training step vs tfjs (cpu backend), one case per layer, loss and optimizer', () => {
  before(async () => {
    await tf.setBackend('cpu');
    const dataset = await loadDataset('mnist-sample');
    // Every 77th digit: the embedded digits are stored class by class.
    const picked = Array.from({ length: 64 }, (_, index) => index * 77);
    const images = new Float32Array(picked.length * 784);
    picked.forEach((source, row) => {
      for (let pixel = 0; pixel < 784; pixel++)
        images[row * 784 + pixel] = dataset.images[source * 784 + pixel]! / 255;
    });
    digits = { images, labels: Uint8Array.from(picked, (source) => dataset.labels[source]!) };
  });

  let index = 0;
  for (const testCase of [...layerCases, ...activationCases, ...lossCases, ...optimizerCases]) {
    const caseIndex = index++;
    test(testCase.name, async () => {
      await compare(testCase, caseIndex);
    });
  }

  // The graph for onnxruntime-web's WebGPU provider writes its windows without grouped Convs: the same numbers.
  for (const testCase of layerCases.filter((candidate) =>
    /Conv2D|Pooling|classic|Add/.test(candidate.name),
  )) {
    const caseIndex = index++;
    test(`${testCase.name} (graph for WebGPU)`, async () => {
      await compare({ ...testCase, settings: { ...testCase.settings, webgpu: true } }, caseIndex);
    });
  }

  // On onnxruntime's CPU provider the input gradient of a stride-1 conv runs on its blocked (NCHWc) kernels
  // when both channel counts are multiples of the block this machine's onnxruntime uses: the same numbers.
  const blockedCases: (Case & {
    blockedConvs?: number;
    poolThenFlatten?: boolean;
    /** Blocked Convs writing a conv's cells for the pool after it. */
    convsByCell?: number;
    /** Every pool's cells come from such Convs, none from Splits. */
    onlyCellsFromConvs?: boolean;
    /** Pools whose windows leave out the last rows or columns: each lists its cells with a GEMM and back. */
    croppedPools?: number;
    /** The conv on the images is written by cell, and read by no other layer: its 1×1 Conv is gone. */
    pointwiseGone?: boolean;
    /** A batch norm after a blocked conv computes on its blocks: no node of it reads a reordered value. */
    batchNormInBlocks?: boolean;
  })[] = [
    {
      name: 'classic (both convs once per pool cell in blocks, and the Flatten reading the second pool in blocks)',
      build: () => buildClassic(),
      batch: () => batchOf(8),
      poolThenFlatten: true,
      // four cells of each conv, and the second conv's input gradient
      blockedConvs: 9,
      convsByCell: 8,
      onlyCellsFromConvs: true,
      pointwiseGone: true,
    },
    {
      name: 'Conv2D 16 valid 5×5 → MaxPooling2D 3×3 (the conv once per pool cell in blocks, from slices of the images)',
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16, kernelSize: 5, padding: 'valid' }),
            L.maxPooling2d({ poolSize: 3 }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
      poolThenFlatten: true,
      blockedConvs: 9,
      convsByCell: 9,
      onlyCellsFromConvs: true,
      pointwiseGone: true,
    },
    {
      name: 'Conv2D 16 same linear, no bias → MaxPooling2D 2×1 (the conv once per pool cell in blocks)',
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16, activation: 'linear', useBias: false }),
            L.maxPooling2d({ poolSize: [2, 1] }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
      poolThenFlatten: true,
      blockedConvs: 2,
      convsByCell: 2,
      onlyCellsFromConvs: true,
      pointwiseGone: true,
    },
    {
      name: 'a conv on the images read by a MaxPooling2D (by cell in blocks) and by an AveragePooling2D',
      build: () => convReadByTwoPools(16),
      batch: () => batchOf(8),
      blockedConvs: 4,
      convsByCell: 4,
      onlyCellsFromConvs: true,
    },
    {
      name: 'Conv2D 16 → Conv2D 32 → MaxPooling2D → Conv2D 32 → Conv2D 32 (blocked values passed on in blocks)',
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16 }),
            conv({ filters: 32 }),
            L.maxPooling2d({ poolSize: 2 }),
            conv({ filters: 32 }),
            conv({ filters: 32, activation: 'linear' }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
      // the second conv's four cells and input gradient, the last two convs' forwards and input gradients
      blockedConvs: 9,
      convsByCell: 4,
      onlyCellsFromConvs: true,
    },
    {
      name: 'Conv2D 16 → Conv2D 16 valid 5×5 → MaxPooling2D 3×3 → Conv2D 16 → MaxPooling2D 1×2 (other tilings in blocks)',
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16 }),
            conv({ filters: 16, kernelSize: 5, padding: 'valid' }),
            L.maxPooling2d({ poolSize: 3 }),
            conv({ filters: 16 }),
            L.maxPooling2d({ poolSize: [1, 2] }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
      // the 5×5 conv's forward (its cells would need slices of its blocked input) and input gradient, the
      // last conv's two cells and input gradient
      blockedConvs: 5,
      convsByCell: 2,
      poolThenFlatten: true,
    },
    {
      name: 'Conv2D 16 → Conv2D 16 relu → BatchNormalization → MaxPooling2D (the batch norm, the relu mask and the pool in blocks)',
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16 }),
            conv({ filters: 16 }),
            L.batchNormalization({ momentum: 0.9 }),
            L.maxPooling2d({ poolSize: 2 }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
      poolThenFlatten: true,
      batchNormInBlocks: true,
    },
    {
      name: 'Conv2D 16 → Conv2D 32 same relu → MaxPooling2D (forward and input gradient at NCHWc block sizes)',
      build: () =>
        sequential(
          [28, 28, 1],
          [conv({ filters: 16 }), conv({ filters: 32 }), L.maxPooling2d({ poolSize: 2 }), ...head()],
        ),
      batch: () => batchOf(8),
      poolThenFlatten: true,
      blockedConvs: 5,
      convsByCell: 4,
      onlyCellsFromConvs: true,
    },
    {
      name: 'Conv2D 16 → Conv2D 16 valid 5×5 linear, no bias',
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16 }),
            conv({ filters: 16, kernelSize: 5, padding: 'valid', useBias: false, activation: 'linear' }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
    },
    {
      name: 'Conv2D 16 → Conv2D 16 same 3×3 at stride 2, elu',
      build: () =>
        sequential(
          [28, 28, 1],
          [conv({ filters: 16 }), conv({ filters: 16, strides: 2, activation: 'elu' }), ...head()],
        ),
      batch: () => batchOf(8),
    },
    // added later, last: the cases above keep their places (and so their seeds)
    {
      name: 'Conv2D 16 → MaxPooling2D → Conv2D 32 → MaxPooling2D → Conv2D 32 on 7×7 (its kernel gradient one GEMM over the batch)',
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16 }),
            L.maxPooling2d({ poolSize: 2 }),
            conv({ filters: 32 }),
            L.maxPooling2d({ poolSize: 2 }),
            conv({ filters: 32 }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
      // the first two convs' four cells each, the second's input gradient, the last conv's forward and
      // input gradient (its windows of 288 values on 49 positions: one GEMM for its kernel gradient)
      blockedConvs: 11,
      convsByCell: 8,
      onlyCellsFromConvs: true,
    },
    {
      name: "Conv2D 16 valid → MaxPooling2D → Conv2D 16 valid → MaxPooling2D (Keras' 13 → 11 → 5, the blocked conv's output cut to the tiles)",
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16, padding: 'valid' }),
            L.maxPooling2d({ poolSize: 2 }),
            conv({ filters: 16, padding: 'valid' }),
            L.maxPooling2d({ poolSize: 2 }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
      // the first conv's four cells, the second conv's forward and input gradient
      blockedConvs: 6,
      convsByCell: 4,
      croppedPools: 1,
    },
    {
      name: 'Conv2D 16 linear → Activation relu → MaxPooling2D, twice (the relu layers fused into the convs, each conv by cell)',
      build: () =>
        sequential(
          [28, 28, 1],
          [
            conv({ filters: 16, activation: 'linear' }),
            L.activation({ activation: 'relu' }),
            L.maxPooling2d({ poolSize: 2 }),
            conv({ filters: 16, activation: 'linear' }),
            L.activation({ activation: 'relu' }),
            L.maxPooling2d({ poolSize: 2 }),
            ...head(),
          ],
        ),
      batch: () => batchOf(8),
      poolThenFlatten: true,
      // as classic: four cells of each conv, and the second conv's input gradient
      blockedConvs: 9,
      convsByCell: 8,
      onlyCellsFromConvs: true,
      pointwiseGone: true,
    },
  ];
  for (const testCase of blockedCases) {
    const caseIndex = index++;
    test(`${testCase.name} (onnxruntime CPU's NCHWc Conv)`, async () => {
      const block = await nchwcBlock();
      const graph = await compare(
        { ...testCase, settings: { ...testCase.settings, nchwcBlockSize: block } },
        caseIndex,
      );
      assert.equal(graph.nchwcBlockSize, block);
      const written = onnx.ModelProto.decode(graph.bytes);
      const blocked = (written.graph?.node ?? []).filter(
        (node) => node.domain === 'com.microsoft.nchwc' && node.opType === 'Conv',
      );
      const expected = testCase.blockedConvs ?? (testCase.name.includes('stride 2') ? 1 : 2);
      assert.equal(
        blocked.length,
        expected,
        "the second conv's forward (and at stride 1 its input gradient) are blocked Convs",
      );
      const nodes = written.graph?.node ?? [];
      // A blocked value read by a blocked Conv is not reordered back and forth: each ReorderInput reads a
      // value no blocked node wrote.
      const reordered = nodes.filter((node) => node.opType === 'ReorderInput');
      for (const node of reordered) {
        const producer = nodes.find((other) => other.output?.includes(node.input![0]!));
        assert.notEqual(
          producer?.opType,
          'ReorderOutput',
          `${node.name} reorders what ${producer?.name} reordered`,
        );
      }
      if (/MaxPooling2D/.test(testCase.name)) {
        // The pool after a blocked conv works in its blocks: Splits, no GEMM listing the cells.
        const pool = nodes.filter((node) => node.name?.startsWith('max_pooling2d'));
        assert.equal(
          pool.some((node) => node.opType === 'Split'),
          !testCase.onlyCellsFromConvs,
          'Splits separate the cells of a blocked value, none those written by cell',
        );
        assert.equal(
          pool.filter((node) => node.opType === 'MatMul').length,
          2 * (testCase.croppedPools ?? 0),
          'no GEMM lists the cells, but for the pools that crop',
        );
        // A conv on the images before a pool is written once per cell as blocked Convs, and its 1×1 Conv
        // over the windows is gone.
        const byCell = nodes.filter(
          (node) =>
            node.domain === 'com.microsoft.nchwc' &&
            node.opType === 'Conv' &&
            /^conv2d.*\/cell\d+$/.test(node.name ?? ''),
        );
        assert.equal(byCell.length, testCase.convsByCell ?? 0, 'blocked Convs write the cells');
        if (testCase.pointwiseGone) {
          const pointwise = nodes.filter(
            (node) =>
              node.opType === 'Conv' &&
              !node.domain &&
              node.attribute?.some(
                (a) => a.name === 'kernel_shape' && a.ints?.every((size) => Number(size) === 1),
              ),
          );
          assert.deepEqual(
            pointwise.map((node) => node.name),
            [],
            'no 1×1 Conv over the windows is left',
          );
        }
      }
      if (testCase.batchNormInBlocks) {
        const producerOf = (value: string) => nodes.find((other) => other.output?.includes(value));
        const batchNorm = nodes.filter((node) => node.name?.startsWith('batch_normalization'));
        assert.ok(batchNorm.length > 0, 'the batch norm has nodes');
        for (const node of batchNorm)
          for (const value of node.input ?? [])
            assert.notEqual(
              producerOf(value)?.opType,
              'ReorderOutput',
              `${node.name} reads ${value}, reordered out of blocks`,
            );
        // and the relu's mask of the conv before it reads the blocked Conv's output, not a reorder of it
        const masks = nodes
          .filter((node) => node.opType === 'Greater' && /^conv2d/.test(node.name ?? ''))
          .map((node) => producerOf(node.input![0]!));
        assert.ok(
          masks.some((writer) => writer?.opType === 'Conv' && writer.domain === 'com.microsoft.nchwc'),
          "the blocked conv's relu mask reads its blocks",
        );
        assert.ok(
          masks.every((writer) => writer?.opType !== 'ReorderOutput'),
          'no relu mask reads a value reordered out of blocks',
        );
      }
      if (testCase.poolThenFlatten) {
        // and a Flatten after it reads the pool's blocks reordered to NHWC, both ways: no Transpose.
        const transposes = nodes.filter(
          (node) => node.opType === 'Transpose' && /^(flatten|max_pooling2d)/.test(node.name ?? ''),
        );
        assert.deepEqual(
          transposes.map((node) => node.name),
          [],
        );
      }
      assert.ok(written.opsetImport.some((entry) => entry.domain === 'com.microsoft.nchwc'));
    });
  }

  for (const testCase of laterCases) {
    const caseIndex = index++;
    test(testCase.name, async () => {
      await compare(testCase, caseIndex);
    });
  }

  test('nchwcBlockSize: a power of 2 from 4, and not with webgpu', () => {
    const model = sequential([8, 8, 1], [conv({ filters: 8 }), conv({ filters: 8 }), ...head()]);
    for (const bad of [0, 6, 2.5, -16])
      assert.throws(
        () => buildTrainingGraph(model, { nchwcBlockSize: bad }),
        /'nchwcBlockSize' must be a power of 2/,
      );
    assert.throws(
      () => buildTrainingGraph(model, { nchwcBlockSize: 8, webgpu: true }),
      /'nchwcBlockSize' is for onnxruntime's CPU provider/,
    );
    const plain = buildTrainingGraph(model, {});
    assert.equal(plain.nchwcBlockSize, null);
    model.dispose();
  });

  test('ONNX 1.12 checker (full_check) accepts every training graph (opset 17, IR 8)', () => {
    const failures = checker.run();
    if (failures === null) return; // python3-onnx not installed
    assert.deepEqual(failures, []);
  });
});
