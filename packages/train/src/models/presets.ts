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

/** Conv → BN → ReLU, named so residual merges can refer to it. */
function convBlock(name: string, input: string, filters: number, relu = true): LayerSpec[] {
  const layers: LayerSpec[] = [
    {
      type: 'conv2d',
      name: `${name}_conv`,
      inputs: [input],
      filters,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
    },
    // momentum 0.9, not Keras's 0.99: the moving statistics must settle within the few hundred steps
    // of a short run, or inference-mode outputs are garbage
    { type: 'batchNormalization', name: `${name}_bn`, inputs: [`${name}_conv`], momentum: 0.9 },
  ];
  if (relu) layers.push({ type: 'activation', name, inputs: [`${name}_bn`], activation: 'relu' });
  return layers;
}

/** Two conv-BN layers with an identity shortcut around them: x + f(x), then ReLU. */
function residualBlock(name: string, input: string, filters: number): LayerSpec[] {
  return [
    ...convBlock(`${name}_a`, input, filters),
    ...convBlock(`${name}_b`, `${name}_a`, filters, false),
    { type: 'add', name: `${name}_add`, inputs: [input, `${name}_b_bn`] },
    { type: 'activation', name, inputs: [`${name}_add`], activation: 'relu' },
  ];
}

const bestSpec: ModelSpec = {
  name: 'best',
  inputs: ['image'],
  layers: [
    ...convBlock('stem', 'image', 32),
    { type: 'maxPooling2d', name: 'pool1', inputs: ['stem'], poolSize: 2 },
    ...convBlock('widen', 'pool1', 64),
    ...residualBlock('res', 'widen', 64),
    { type: 'maxPooling2d', name: 'pool2', inputs: ['res'], poolSize: 2 },
    { type: 'dropout', name: 'drop1', inputs: ['pool2'], rate: 0.25 },
    { type: 'flatten', name: 'flatten', inputs: ['drop1'] },
    { type: 'dense', name: 'hidden', inputs: ['flatten'], units: 128, activation: 'relu' },
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
    spec: {
      name: 'classic',
      layers: [conv(32, 'same'), pool, conv(64, 'same'), pool, { type: 'flatten' }, dense(128), output],
    },
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
    description: "cnnx's own: batch norm, a residual block, dropout; augmentation on by default",
    parameters: 496_170,
    augment: true,
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
