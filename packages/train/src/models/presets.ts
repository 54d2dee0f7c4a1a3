import type { LayerSpec, ModelSpec, PresetInfo, PresetName } from '../types.js';

const conv = (filters: number, padding: 'same' | 'valid' = 'valid'): LayerSpec => ({
  type: 'conv2d',
  filters,
  kernelSize: 3,
  padding,
  activation: 'relu',
});
const pool: LayerSpec = { type: 'maxPooling2d', poolSize: 2 };
const dense = (units: number | 'classes', activation = 'relu'): LayerSpec => ({
  type: 'dense',
  units,
  activation,
});
const output = dense('classes', 'softmax');

/** A same-padded 3×3 conv layer of a graph, named so later layers can refer to it. */
const graphConv = (name: string, input: string, filters: number, activation = 'relu'): LayerSpec => ({
  type: 'conv2d',
  name,
  inputs: [input],
  filters,
  kernelSize: 3,
  padding: 'same',
  activation,
});

/**
 * The spec of `classic`, or with `batchNorm` a batch norm after each conv's ReLU (as `best`'s feature maps could
 * have it): the models `bench:train` measures on every engine.
 *
 * @example
 * buildModel(classicSpec({ batchNorm: true }), { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 */
export function classicSpec(options: { batchNorm?: boolean } = {}): ModelSpec {
  const norm: LayerSpec[] = options.batchNorm ? [{ type: 'batchNormalization' }] : [];
  return {
    name: 'classic',
    layers: [
      conv(32, 'same'),
      ...norm,
      pool,
      conv(64, 'same'),
      ...norm,
      pool,
      { type: 'flatten' },
      dense(128),
      output,
    ],
  };
}

/**
 * A classic-style conv net with one cheap residual block and one cheap batch norm. Batch norm's
 * moments and gradients are slow on the wasm backend, so it sits on the 128-unit hidden layer, not on
 * the feature maps, and the residual block works on the 7×7 maps after the second pool.
 */
const bestSpec: ModelSpec = {
  name: 'best',
  inputs: ['image'],
  layers: [
    graphConv('conv1', 'image', 32),
    { type: 'maxPooling2d', name: 'pool1', inputs: ['conv1'], poolSize: 2 },
    graphConv('conv2', 'pool1', 64),
    { type: 'maxPooling2d', name: 'pool2', inputs: ['conv2'], poolSize: 2 },
    // x + f(x) on the 7×7 maps, then ReLU
    graphConv('res_a', 'pool2', 64),
    graphConv('res_b', 'res_a', 64, 'linear'),
    { type: 'add', name: 'res_add', inputs: ['pool2', 'res_b'] },
    { type: 'activation', name: 'res', inputs: ['res_add'], activation: 'relu' },
    { type: 'dropout', name: 'drop1', inputs: ['res'], rate: 0.25 },
    { type: 'flatten', name: 'flatten', inputs: ['drop1'] },
    { type: 'dense', name: 'hidden_dense', inputs: ['flatten'], units: 128, useBias: false },
    // momentum 0.9, not Keras's 0.99: the moving statistics must settle within the few hundred steps
    // of a short run, or inference-mode outputs are garbage
    { type: 'batchNormalization', name: 'hidden_bn', inputs: ['hidden_dense'], momentum: 0.9 },
    { type: 'activation', name: 'hidden', inputs: ['hidden_bn'], activation: 'relu' },
    { type: 'dropout', name: 'drop2', inputs: ['hidden'], rate: 0.4 },
    { type: 'dense', name: 'probabilities', inputs: ['drop2'], units: 'classes', activation: 'softmax' },
  ],
  outputs: ['probabilities'],
};

/**
 * The built-in models. The first four reproduce the notebooks' networks layer for layer; their
 * parameter counts are what Keras prints for a 28×28×1 input and 10 classes.
 */
export const presets: Readonly<Record<PresetName, PresetInfo>> = {
  classic: {
    name: 'classic',
    description: 'two same-padded conv/pool stages, Dense 128 (the classic MNIST notebook CNN)',
    parameters: 421_642,
    augment: false,
    spec: classicSpec(),
  },
  basic: {
    name: 'basic',
    description: 'three conv layers, Dense 64 (the TensorFlow CNN tutorial)',
    parameters: 121_994,
    augment: false,
    spec: {
      name: 'basic',
      layers: [conv(32, 'same'), pool, conv(64), pool, conv(64), { type: 'flatten' }, dense(64), output],
    },
  },
  dropout: {
    name: 'dropout',
    description: 'two conv/pool stages, Dense 128 and 64 with dropout 0.2',
    parameters: 232_650,
    augment: false,
    spec: {
      name: 'dropout',
      layers: [
        conv(32),
        pool,
        conv(64),
        pool,
        { type: 'flatten' },
        dense(128),
        { type: 'dropout', rate: 0.2 },
        dense(64),
        { type: 'dropout', rate: 0.2 },
        output,
      ],
    },
  },
  tiny: {
    name: 'tiny',
    description: 'one conv/pool stage, Dense 32 and 64',
    parameters: 176_170,
    augment: false,
    spec: { name: 'tiny', layers: [conv(32), pool, { type: 'flatten' }, dense(32), dense(64), output] },
  },
  best: {
    name: 'best',
    description:
      "cnnx's own: classic + a residual block on 7×7 maps, batch norm, dropout; augmentation on by default",
    parameters: 495_882,
    augment: true,
    // 99.07-99.40% on mnist-sample's held-out 15%: 99.13% in 54 s on onnxruntime, 2 cores
    // (README, "Training past the quickstart").
    training: { epochs: 10, learningRate: 0.002, schedule: 'cosine' },
    spec: bestSpec,
  },
};

/** The preset names, in the order `cnnx models` lists them. */
export const PRESET_NAMES = Object.keys(presets) as PresetName[];

/**
 * Whether `name` names a built-in model.
 *
 * @example
 * isPresetName('classic'); // true
 * isPresetName('resnet50'); // false
 */
export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(presets, name);
}
