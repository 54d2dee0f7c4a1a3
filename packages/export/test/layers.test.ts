import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { convertToOnnx, readOnnx } from '../src/index.js';
import { CheckerBatch, maxAbsDiff, randomInputs, randomizeWeights, runOnnx, runTfjs } from './helpers.js';

const checker = new CheckerBatch();

interface Case {
  name: string;
  build: () => tf.LayersModel;
  opset?: number;
  /** Checks on the exported graph's operator histogram. */
  expect?: (operators: Record<string, number>) => void;
}

const seq =
  (inputShape: number[], layers: tf.layers.Layer[]): (() => tf.LayersModel) =>
  () => {
    const input = tf.input({ shape: inputShape });
    let output = input as tf.SymbolicTensor;
    for (const layer of layers) output = layer.apply(output) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: output });
  };
const L = tf.layers;
const conv = (filters = 4): tf.layers.Layer => L.conv2d({ filters, kernelSize: 3, padding: 'same' });

function branches(
  merge: (inputs: tf.SymbolicTensor[]) => tf.SymbolicTensor,
  dense = false,
): () => tf.LayersModel {
  return () => {
    const input = tf.input({ shape: dense ? [6] : [6, 6, 2] });
    const make = (): tf.layers.Layer => (dense ? L.dense({ units: 4 }) : conv(3));
    const a = make().apply(input) as tf.SymbolicTensor;
    const b = make().apply(input) as tf.SymbolicTensor;
    const c = make().apply(input) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: merge([a, b, c]) });
  };
}

const activations = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'logSoftmax',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
] as const;

const cases: Case[] = [
  {
    name: 'Conv2D stride 2 same relu',
    build: seq(
      [9, 9, 2],
      [L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })],
    ),
  },
  {
    name: 'Conv2D valid dilation 2 no bias',
    build: seq([9, 9, 2], [L.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, useBias: false })]),
  },
  {
    name: 'Conv2D 3×2 kernel strides 2×1 same tanh',
    build: seq(
      [8, 7, 3],
      [L.conv2d({ filters: 5, kernelSize: [3, 2], strides: [2, 1], padding: 'same', activation: 'tanh' })],
    ),
  },
  {
    name: 'DepthwiseConv2D multiplier 2 stride 2 same',
    build: seq(
      [8, 8, 3],
      [L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' })],
    ),
  },
  {
    name: 'DepthwiseConv2D valid, dilationRate (ignored by tfjs) relu',
    build: seq([9, 9, 2], [L.depthwiseConv2d({ kernelSize: 3, dilationRate: 2, activation: 'relu' })]),
  },
  {
    name: 'SeparableConv2D same',
    build: seq([7, 7, 3], [L.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same' })]),
  },
  {
    name: 'SeparableConv2D valid stride 2 multiplier 2 relu',
    build: seq(
      [9, 9, 2],
      [L.separableConv2d({ filters: 5, kernelSize: 3, strides: 2, depthMultiplier: 2, activation: 'relu' })],
    ),
  },
  {
    name: 'Conv2DTranspose 3×3 stride 2 same',
    build: seq([5, 5, 2], [L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' })]),
  },
  {
    name: 'Conv2DTranspose 2×2 stride 2 valid',
    build: seq([4, 5, 3], [L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 })]),
  },
  {
    name: 'Conv2DTranspose 3×3 stride 1 valid relu',
    build: seq([4, 4, 2], [L.conv2dTranspose({ filters: 2, kernelSize: 3, activation: 'relu' })]),
  },
  {
    name: 'Conv2DTranspose 1×1 stride 2 same (kernel < stride)',
    build: seq([4, 4, 2], [L.conv2dTranspose({ filters: 2, kernelSize: 1, strides: 2, padding: 'same' })]),
  },
  { name: 'MaxPooling2D 2×2', build: seq([8, 8, 2], [L.maxPooling2d({ poolSize: 2 })]) },
  {
    name: 'MaxPooling2D 3×3 stride 2 same',
    build: seq([7, 7, 2], [L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })]),
  },
  { name: 'AveragePooling2D 2×2 valid', build: seq([8, 8, 2], [L.averagePooling2d({ poolSize: 2 })]) },
  {
    name: 'AveragePooling2D 3×3 stride 2 same (padded cells)',
    build: seq([7, 7, 2], [L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })]),
  },
  {
    name: 'GlobalAveragePooling2D after Conv2D',
    build: seq([6, 6, 2], [conv(), L.globalAveragePooling2d({})]),
  },
  {
    name: 'GlobalAveragePooling2D on the input, then Dense',
    build: seq([5, 4, 3], [L.globalAveragePooling2d({}), L.dense({ units: 2 })]),
  },
  { name: 'GlobalMaxPooling2D after Conv2D', build: seq([6, 6, 2], [conv(), L.globalMaxPooling2d({})]) },
  {
    name: 'GlobalMaxPooling2D on the input, then softmax',
    build: seq([5, 4, 3], [L.globalMaxPooling2d({}), L.softmax()]),
  },
  {
    name: 'Dense after Flatten of a conv (permuted weights)',
    build: seq([6, 5, 2], [conv(3), L.flatten(), L.dense({ units: 4, activation: 'relu' })]),
    expect: (ops) => assert.equal(ops.Transpose, 1),
  },
  { name: 'Dense on rank 3', build: seq([5, 4], [L.dense({ units: 3, activation: 'sigmoid' })]) },
  { name: 'Dense on rank 4 after conv', build: seq([4, 4, 2], [conv(3), L.dense({ units: 2 })]) },
  { name: 'Flatten of a conv as the output', build: seq([4, 3, 2], [conv(3), L.flatten()]) },
  { name: 'Flatten of the input then Dense', build: seq([4, 3, 2], [L.flatten(), L.dense({ units: 3 })]) },
  {
    name: 'Reshape after conv, then Dense',
    build: seq([4, 4, 2], [conv(3), L.reshape({ targetShape: [16, 3] }), L.dense({ units: 2 })]),
  },
  { name: 'Reshape of a vector', build: seq([12], [L.reshape({ targetShape: [3, 4] })]) },
  { name: 'Permute of a rank-3 input', build: seq([4, 5, 3], [L.permute({ dims: [2, 1, 3] })]) },
  { name: 'Permute after conv', build: seq([4, 5, 2], [conv(3), L.permute({ dims: [3, 1, 2] })]) },
  {
    name: 'Dropout rate 0.5 and 0.2',
    build: seq([6, 6, 2], [L.dropout({ rate: 0.5 }), conv(), L.dropout({ rate: 0.2 })]),
    expect: (ops) => assert.equal(ops.Dropout, undefined),
  },
  {
    name: 'GaussianNoise',
    build: seq(
      [6],
      [L.gaussianNoise({ stddev: 0.5 }), L.dense({ units: 2 }), L.gaussianNoise({ stddev: 1 })],
    ),
  },
  {
    name: 'GaussianDropout',
    build: seq([6, 6, 2], [L.gaussianDropout({ rate: 0.3 }), conv(), L.gaussianDropout({ rate: 0.1 })]),
  },
  {
    name: 'AlphaDropout',
    build: seq([6], [L.alphaDropout({ rate: 0.3 }), L.dense({ units: 3 }), L.alphaDropout({ rate: 0.5 })]),
  },
  { name: 'Rescaling 1/255', build: seq([6, 6, 1], [L.rescaling({ scale: 1 / 255 }), conv()]) },
  {
    name: 'Rescaling scale 2 offset -1 after conv',
    build: seq([6, 6, 2], [conv(), L.rescaling({ scale: 2, offset: -1 })]),
  },
  {
    name: 'BatchNormalization folded into Conv2D',
    build: seq([6, 6, 2], [conv(), L.batchNormalization({}), L.reLU()]),
    expect: (ops) => assert.equal(ops.BatchNormalization, undefined),
  },
  {
    name: 'BatchNormalization folded into Dense',
    build: seq([6], [L.dense({ units: 4 }), L.batchNormalization({ epsilon: 0.01 })]),
    expect: (ops) => assert.equal(ops.BatchNormalization, undefined),
  },
  {
    name: 'BatchNormalization after relu (own node)',
    build: seq(
      [6, 6, 2],
      [L.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }), L.batchNormalization({})],
    ),
    expect: (ops) => assert.equal(ops.BatchNormalization, 1),
  },
  {
    name: 'BatchNormalization on the input, no scale',
    build: seq([5], [L.batchNormalization({ scale: false })]),
  },
  {
    name: 'BatchNormalization on the last axis of rank 3 (Mul + Add)',
    build: seq([3, 4], [L.batchNormalization({})]),
    expect: (ops) => assert.equal(ops.Mul, 1),
  },
  {
    name: 'LayerNormalization rank 2 (opset 17 op)',
    build: seq([6], [L.dense({ units: 5 }), L.layerNormalization({})]),
    expect: (ops) => assert.equal(ops.LayerNormalization, 1),
  },
  {
    name: 'LayerNormalization rank 3 at opset 13 (decomposed)',
    opset: 13,
    build: seq([4, 5], [L.layerNormalization({ epsilon: 1e-5 })]),
    expect: (ops) => assert.equal(ops.ReduceMean, 2),
  },
  ...activations.map((activation) => ({
    name: `Activation ${activation} on a vector`,
    build: seq([6], [L.dense({ units: 4 }), L.activation({ activation: activation as 'relu' })]),
  })),
  {
    name: 'Activation softmax on a conv (channels axis)',
    build: seq([4, 4, 3], [conv(3), L.activation({ activation: 'softmax' })]),
  },
  {
    name: 'Activation gelu on a conv',
    build: seq([4, 4, 3], [L.conv2d({ filters: 3, kernelSize: 3, activation: 'gelu' })]),
  },
  { name: 'ReLU maxValue 0.3', build: seq([6, 6, 2], [conv(), L.reLU({ maxValue: 0.3 })]) },
  { name: 'ReLU plain', build: seq([6], [L.reLU()]) },
  { name: 'LeakyReLU alpha 0.1', build: seq([6, 6, 2], [conv(), L.leakyReLU({ alpha: 0.1 })]) },
  { name: 'LeakyReLU default', build: seq([6], [L.leakyReLU()]) },
  {
    name: 'PReLU shared over space after conv',
    build: seq([5, 5, 2], [conv(3), L.prelu({ sharedAxes: [1, 2] })]),
  },
  { name: 'PReLU per element after conv', build: seq([4, 3, 2], [conv(3), L.prelu({})]) },
  { name: 'PReLU on a vector', build: seq([6], [L.prelu({})]) },
  {
    name: 'ELU after conv (tfjs supports only alpha 1)',
    build: seq([6, 6, 2], [conv(), L.elu({ alpha: 1 })]),
  },
  { name: 'ELU default', build: seq([6], [L.elu()]) },
  { name: 'ThresholdedReLU theta 0.2', build: seq([6, 6, 2], [conv(), L.thresholdedReLU({ theta: 0.2 })]) },
  { name: 'ThresholdedReLU default', build: seq([6], [L.thresholdedReLU()]) },
  {
    name: 'Softmax on a conv (axis -1 → channels)',
    build: seq([4, 4, 3], [conv(3), L.softmax({ axis: -1 })]),
  },
  { name: 'Softmax on axis 2 of rank 3', build: seq([4, 5], [L.softmax({ axis: 2 })]) },
  { name: 'Add of conv branches', build: branches((inputs) => L.add().apply(inputs) as tf.SymbolicTensor) },
  {
    name: 'Add of dense branches',
    build: branches((inputs) => L.add().apply(inputs) as tf.SymbolicTensor, true),
  },
  {
    name: 'Multiply of conv branches',
    build: branches((inputs) => L.multiply().apply(inputs) as tf.SymbolicTensor),
  },
  {
    name: 'Multiply of dense branches',
    build: branches((inputs) => L.multiply().apply(inputs) as tf.SymbolicTensor, true),
  },
  {
    name: 'Average of conv branches',
    build: branches((inputs) => L.average().apply(inputs) as tf.SymbolicTensor),
  },
  {
    name: 'Average of dense branches',
    build: branches((inputs) => L.average().apply(inputs) as tf.SymbolicTensor, true),
  },
  {
    name: 'Maximum of conv branches',
    build: branches((inputs) => L.maximum().apply(inputs) as tf.SymbolicTensor),
  },
  {
    name: 'Maximum of dense branches',
    build: branches((inputs) => L.maximum().apply(inputs) as tf.SymbolicTensor, true),
  },
  {
    name: 'Minimum of conv branches',
    build: branches((inputs) => L.minimum().apply(inputs) as tf.SymbolicTensor),
  },
  {
    name: 'Minimum of dense branches',
    build: branches((inputs) => L.minimum().apply(inputs) as tf.SymbolicTensor, true),
  },
  {
    name: 'Concatenate conv branches on channels',
    build: branches((inputs) => L.concatenate().apply(inputs) as tf.SymbolicTensor),
  },
  {
    name: 'Concatenate conv branches on height',
    build: branches((inputs) => L.concatenate({ axis: 1 }).apply(inputs) as tf.SymbolicTensor),
  },
  {
    name: 'Concatenate dense branches',
    build: branches((inputs) => L.concatenate().apply(inputs) as tf.SymbolicTensor, true),
  },
  { name: 'ZeroPadding2D 1', build: seq([5, 5, 2], [L.zeroPadding2d({ padding: 1 }), conv()]) },
  {
    name: 'ZeroPadding2D [[1, 2], [0, 3]]',
    build: seq(
      [5, 5, 2],
      [
        L.zeroPadding2d({
          padding: [
            [1, 2],
            [0, 3],
          ],
        }),
      ],
    ),
  },
  { name: 'Cropping2D 1', build: seq([6, 6, 2], [conv(), L.cropping2D({ cropping: 1 })]) },
  {
    name: 'Cropping2D [[1, 0], [2, 1]]',
    build: seq(
      [6, 6, 2],
      [
        L.cropping2D({
          cropping: [
            [1, 0],
            [2, 1],
          ],
        }),
      ],
    ),
  },
  { name: 'UpSampling2D nearest 2×2', build: seq([4, 4, 2], [conv(), L.upSampling2d({ size: [2, 2] })]) },
  { name: 'UpSampling2D nearest 3×1', build: seq([3, 4, 2], [L.upSampling2d({ size: [3, 1] })]) },
  {
    name: 'UpSampling2D bilinear 2×3',
    build: seq([4, 3, 2], [L.upSampling2d({ size: [2, 3], interpolation: 'bilinear' })]),
  },
  {
    name: 'UpSampling2D bilinear 2×2 after conv',
    build: seq([4, 4, 2], [conv(), L.upSampling2d({ size: [2, 2], interpolation: 'bilinear' })]),
  },
];

describe('every layer matches tfjs to 1e-5 (batch 1 and 7, NHWC and NCHW inputs, opsets 17 and 21)', () => {
  for (const testCase of cases) {
    test(testCase.name, async () => {
      const model = testCase.build();
      randomizeWeights(model);
      try {
        const bytes = convertToOnnx(model, { opset: testCase.opset ?? 17 });
        checker.add(testCase.name, bytes);
        testCase.expect?.(readOnnx(bytes).operators);
        for (const batch of [1, 7]) {
          const inputs = randomInputs(model, batch, batch);
          const diff = maxAbsDiff(await runOnnx(bytes, inputs), runTfjs(model, inputs));
          assert.ok(diff <= 1e-5, `batch ${batch}: max abs diff ${diff}`);
        }
        // The newest opset onnxruntime runs (ONNX's checker here stops at 17, so it only runs there).
        const latest = convertToOnnx(model, { opset: 21 });
        const single = randomInputs(model, 1, 3);
        const latestDiff = maxAbsDiff(await runOnnx(latest, single), runTfjs(model, single));
        assert.ok(latestDiff <= 1e-5, `opset 21: max abs diff ${latestDiff}`);
        if (model.inputs[0]!.shape.length === 4) {
          const nchw = convertToOnnx(model, { opset: testCase.opset ?? 17, inputLayout: 'nchw' });
          const inputs = randomInputs(model, 7, 11);
          const diff = maxAbsDiff(await runOnnx(nchw, inputs, 'nchw'), runTfjs(model, inputs));
          assert.ok(diff <= 1e-5, `nchw batch 7: max abs diff ${diff}`);
        }
      } finally {
        model.dispose();
      }
    });
  }
});

test('every exported model passes onnx.checker.check_model(full_check=True)', (context) => {
  const failures = checker.run();
  if (failures === null) {
    context.skip('/usr/bin/python3 cannot import onnx (install python3-onnx)');
    return;
  }
  assert.ok(checker.paths.length >= cases.length);
  assert.deepEqual(failures, []);
});
