// The Keras reader on small files these tests write in each layout the wild uses (Keras 2 and tf.keras
// legacy HDF5, Keras 3's legacy HDF5 and its .keras zip; Sequential and functional), checked against an
// independent numpy forward pass of the same file (scripts/keras-forward.py), and on the five real files.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRandom } from '@cnnx/data';
import {
  type Json,
  KERAS_FIXTURES,
  keras2Layer,
  keras2Node,
  keras3Layer,
  keras3Node,
  keras3Object,
  kerasFixturesDir,
  kerasReferenceForward,
  kerasReferenceUnavailable,
  kerasZip,
  legacyH5,
  positiveWeight,
  randomWeight,
  type TestWeight,
} from '@cnnx/testing';
import * as tf from '@tensorflow/tfjs';
import {
  detectKerasFormat,
  formatKerasSummary,
  initBackend,
  type KerasModel,
  loadModel,
  readKerasModel,
  SUPPORTED_KERAS_LAYERS,
  saveModel,
} from '../src/index.js';

let work: string;

before(async () => {
  await initBackend('cpu');
  work = await mkdtemp(join(tmpdir(), 'cnnx-keras-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeModel(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(work, name);
  await writeFile(path, bytes);
  return path;
}

function randomInputs(count: number, seed: number): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: count }, () => random.next());
}

function softmaxRows(values: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let row = 0; row < values.length / classes; row += 1) {
    const slice = values.subarray(row * classes, (row + 1) * classes);
    const top = Math.max(...slice);
    const exps = Array.from(slice, (value) => Math.exp(value - top));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((value, index) => {
      out[row * classes + index] = value / sum;
    });
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'the outputs have the same size');
  let max = 0;
  for (let index = 0; index < a.length; index += 1) max = Math.max(max, Math.abs(a[index]! - b[index]!));
  return max;
}

/** The reader's model on `inputs`, fed as cnnx feeds it: `count` images of the model's input shape. */
function predictWith(keras: KerasModel, inputs: Float32Array, count: number): Float32Array {
  const shape = keras.model.inputs[0]!.shape.slice(1) as number[];
  return tf.tidy(
    () => (keras.model.predict(tf.tensor(inputs, [count, ...shape])) as tf.Tensor).dataSync() as Float32Array,
  );
}

const skipReference = kerasReferenceUnavailable();

describe('format detection by magic bytes', () => {
  test('HDF5 (also after a 512-byte user block), zip, and neither', async () => {
    const h5 = await legacyH5({ modelConfig: { class_name: 'Sequential', config: [] }, weights: {} });
    assert.equal(detectKerasFormat(h5), 'hdf5');
    const shifted = new Uint8Array(512 + h5.length);
    shifted.set(h5, 512);
    assert.equal(detectKerasFormat(shifted), 'hdf5');
    assert.equal(detectKerasFormat(await kerasZip({ config: {}, vars: {} })), 'keras-zip');
    assert.equal(detectKerasFormat(new TextEncoder().encode('{"format": "layers-model"}')), null);
    assert.equal(detectKerasFormat(new Uint8Array(0)), null);
  });
});

// Model A: every single-input layer the reader supports, Sequential, as Keras 2.3.1 saves it (weight names
// with ":0", BatchNormalization's axis as a list), ending in logits so that the reader adds a softmax.
const modelA = {
  layers: [
    keras2Layer('Conv2D', {
      name: 'c1',
      batch_input_shape: [null, 12, 12, 3],
      filters: 4,
      kernel_size: [3, 3],
      strides: [2, 2],
      padding: 'same',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: 'linear',
      use_bias: true,
      kernel_initializer: {
        class_name: 'VarianceScaling',
        config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null },
      },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.001 } },
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 3, axis: 0 } },
      bias_constraint: null,
    }),
    keras2Layer('BatchNormalization', {
      name: 'bn',
      axis: [3],
      momentum: 0.99,
      epsilon: 0.001,
      center: true,
      scale: true,
    }),
    keras2Layer('ReLU', { name: 'relu', max_value: 1.5, negative_slope: 0, threshold: 0 }),
    keras2Layer('DepthwiseConv2D', {
      name: 'dw',
      kernel_size: [3, 3],
      strides: [1, 1],
      padding: 'same',
      depth_multiplier: 2,
      activation: 'linear',
      use_bias: true,
    }),
    keras2Layer('SeparableConv2D', {
      name: 'sep',
      filters: 5,
      kernel_size: [3, 3],
      padding: 'valid',
      depth_multiplier: 1,
      activation: 'relu',
      use_bias: true,
    }),
    keras2Layer('ZeroPadding2D', {
      name: 'zp',
      padding: [
        [1, 0],
        [0, 1],
      ],
      data_format: 'channels_last',
    }),
    keras2Layer('AveragePooling2D', { name: 'ap', pool_size: [2, 2], strides: [1, 1], padding: 'same' }),
    keras2Layer('LeakyReLU', { name: 'lr', alpha: 0.2 }),
    keras2Layer('UpSampling2D', { name: 'up', size: [2, 2], interpolation: 'nearest' }),
    keras2Layer('Cropping2D', {
      name: 'cr',
      cropping: [
        [1, 1],
        [2, 0],
      ],
    }),
    keras2Layer('MaxPooling2D', { name: 'mp', pool_size: [3, 3], strides: [2, 2], padding: 'same' }),
    keras2Layer('PReLU', { name: 'pr', shared_axes: [1, 2] }),
    keras2Layer('ELU', { name: 'elu', alpha: 1.0 }),
    keras2Layer('GlobalAveragePooling2D', { name: 'gap', data_format: 'channels_last' }),
    keras2Layer('Dense', { name: 'd1', units: 6, activation: 'tanh', use_bias: true }),
    keras2Layer('LayerNormalization', { name: 'ln', axis: [-1], epsilon: 0.001, center: true, scale: true }),
    keras2Layer('Dense', { name: 'logits', units: 3, activation: 'linear', use_bias: true }),
  ],
  weights: {
    c1: [
      randomWeight('c1/kernel:0', [3, 3, 3, 4], createRandom(1)),
      randomWeight('c1/bias:0', [4], createRandom(2)),
    ],
    bn: [
      positiveWeight('bn/gamma:0', [4], createRandom(3)),
      randomWeight('bn/beta:0', [4], createRandom(4)),
      randomWeight('bn/moving_mean:0', [4], createRandom(5)),
      positiveWeight('bn/moving_variance:0', [4], createRandom(6)),
    ],
    dw: [
      randomWeight('dw/depthwise_kernel:0', [3, 3, 4, 2], createRandom(7)),
      randomWeight('dw/bias:0', [8], createRandom(8)),
    ],
    sep: [
      randomWeight('sep/depthwise_kernel:0', [3, 3, 8, 1], createRandom(9)),
      randomWeight('sep/pointwise_kernel:0', [1, 1, 8, 5], createRandom(10)),
      randomWeight('sep/bias:0', [5], createRandom(11)),
    ],
    pr: [randomWeight('pr/alpha:0', [1, 1, 5], createRandom(12))],
    d1: [
      randomWeight('d1/kernel:0', [5, 6], createRandom(13), 1),
      randomWeight('d1/bias:0', [6], createRandom(14)),
    ],
    ln: [
      positiveWeight('ln/gamma:0', [6], createRandom(15)),
      randomWeight('ln/beta:0', [6], createRandom(16)),
    ],
    logits: [
      randomWeight('logits/kernel:0', [6, 3], createRandom(17), 2),
      randomWeight('logits/bias:0', [3], createRandom(18)),
    ],
  } as Record<string, TestWeight[]>,
};

// Model B: a Keras 3 functional graph saved as .keras, whose input has no channel axis, with every merge
// layer; its two Conv2D layers have names unrelated to the folders Keras 3 files their weights under.
const modelB: Json = {
  module: 'keras',
  class_name: 'Functional',
  config: {
    name: 'merges',
    trainable: true,
    layers: [
      keras3Node('InputLayer', { name: 'pixels', batch_shape: [null, 28, 28], sparse: false }, []),
      keras3Node('Reshape', { name: 'with_channel', target_shape: [28, 28, 1] }, ['pixels']),
      keras3Node(
        'Conv2D',
        {
          name: 'edges',
          filters: 3,
          kernel_size: [3, 3],
          strides: [1, 1],
          padding: 'valid',
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          groups: 1,
          activation: 'relu',
          use_bias: true,
          kernel_initializer: keras3Object('keras.initializers', 'LecunNormal', { seed: null }),
          bias_initializer: keras3Object('keras.initializers', 'Zeros'),
          kernel_regularizer: keras3Object('keras.regularizers', 'L2', { l2: 0.0001 }),
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
          lora_rank: null,
        },
        ['with_channel'],
      ),
      keras3Node(
        'Conv2D',
        {
          name: 'blobs',
          filters: 3,
          kernel_size: [3, 3],
          padding: 'valid',
          activation: 'sigmoid',
          use_bias: true,
        },
        ['with_channel'],
      ),
      keras3Node('Add', { name: 'sum' }, ['edges', 'blobs']),
      keras3Node('Multiply', { name: 'product' }, ['edges', 'blobs']),
      keras3Node('Average', { name: 'mean' }, ['sum', 'product']),
      keras3Node('Maximum', { name: 'larger' }, ['mean', 'edges']),
      keras3Node('Minimum', { name: 'smaller' }, ['larger', 'blobs']),
      keras3Node('Concatenate', { name: 'joined', axis: -1 }, ['smaller', 'sum']),
      keras3Node('Permute', { name: 'swapped', dims: [2, 1, 3] }, ['joined']),
      keras3Node(
        'MaxPooling2D',
        { name: 'pool', pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last' },
        ['swapped'],
      ),
      keras3Node('Flatten', { name: 'flat', data_format: 'channels_last' }, ['pool']),
      keras3Node('Rescaling', { name: 'scaled', scale: 0.5, offset: 0.1 }, ['flat']),
      keras3Node('Dropout', { name: 'drop', rate: 0.3, seed: null, noise_shape: null }, ['scaled']),
      keras3Node('GaussianNoise', { name: 'noise', stddev: 0.1, seed: null }, ['drop']),
      keras3Node('Dense', { name: 'probabilities', units: 4, activation: 'softmax', use_bias: true }, [
        'noise',
      ]),
    ],
    input_layers: ['pixels', 0, 0],
    output_layers: ['probabilities', 0, 0],
  },
  registered_name: 'Functional',
};
const modelBVars = {
  conv2d: [randomWeight('k', [3, 3, 1, 3], createRandom(21)), randomWeight('b', [3], createRandom(22))],
  conv2d_1: [randomWeight('k', [3, 3, 1, 3], createRandom(23)), randomWeight('b', [3], createRandom(24))],
  dense: [
    randomWeight('k', [13 * 13 * 6, 4], createRandom(25), 0.2),
    randomWeight('b', [4], createRandom(26)),
  ],
};

// Model C: Keras 3 Sequential built with model.build() (no InputLayer; build_input_shape), whose layer
// names run against the class order (conv2d_12 first, conv2d_3 second).
const modelC: Json = {
  module: 'keras',
  class_name: 'Sequential',
  config: {
    name: 'sequential_4',
    trainable: true,
    dtype: keras3Object('keras', 'DTypePolicy', { name: 'float32' }),
    layers: [
      keras3Layer('Conv2D', {
        name: 'conv2d_12',
        filters: 2,
        kernel_size: [3, 3],
        padding: 'valid',
        activation: 'linear',
        use_bias: true,
      }),
      keras3Layer('Activation', { name: 'activation_5', activation: 'relu' }),
      keras3Layer('Conv2D', {
        name: 'conv2d_3',
        filters: 2,
        kernel_size: [3, 3],
        padding: 'same',
        activation: 'silu',
        use_bias: false,
      }),
      keras3Layer('Flatten', { name: 'flatten_2', data_format: 'channels_last' }),
      keras3Layer('Dense', {
        name: 'dense_7',
        units: 10,
        activation: 'linear',
        use_bias: true,
        quantization_config: null,
      }),
      keras3Layer('Activation', { name: 'activation_6', activation: 'softmax' }),
    ],
    build_input_shape: [null, 10, 10, 1],
  },
  registered_name: null,
};
const modelCVars = {
  conv2d: [randomWeight('k', [3, 3, 1, 2], createRandom(31)), randomWeight('b', [2], createRandom(32))],
  conv2d_1: [randomWeight('k', [3, 3, 2, 2], createRandom(33))],
  dense: [
    randomWeight('k', [8 * 8 * 2, 10], createRandom(34), 0.3),
    randomWeight('b', [10], createRandom(35)),
  ],
};

// Model D: Keras 3's legacy writer (model.save('x.h5') in Keras 3): a Keras 3 config in model_config and
// weight names without ":0", nested under the model's name; a flat 784 input (an MLP on pixels).
const modelD = {
  config: {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'mlp',
      layers: [
        keras3Layer('InputLayer', {
          name: 'input_layer',
          batch_shape: [null, 784],
          sparse: false,
          ragged: false,
        }),
        keras3Layer('Dense', { name: 'hidden', units: 8, activation: 'relu', use_bias: true }),
        keras3Layer('Dense', { name: 'out', units: 10, activation: 'softmax', use_bias: true }),
      ],
    },
    registered_name: null,
  } as Json,
  weights: {
    input_layer: [],
    hidden: [
      randomWeight('mlp/hidden/kernel', [784, 8], createRandom(41), 0.1),
      randomWeight('mlp/hidden/bias', [8], createRandom(42)),
    ],
    out: [
      randomWeight('mlp/out/kernel', [8, 10], createRandom(43)),
      randomWeight('mlp/out/bias', [10], createRandom(44)),
    ],
  },
};

// Model E: a Keras 2 functional model (class_name 'Model', inbound nodes as lists), with a batch norm
// that has no scale (so no gamma) and a global max pooling.
const modelE = {
  config: {
    class_name: 'Model',
    config: {
      name: 'model_1',
      layers: [
        keras2Node('InputLayer', { name: 'input_1', batch_input_shape: [null, 8, 8, 1], sparse: false }, []),
        keras2Node(
          'Conv2D',
          {
            name: 'conv',
            filters: 3,
            kernel_size: [3, 3],
            padding: 'same',
            activation: 'relu',
            use_bias: true,
          },
          ['input_1'],
        ),
        keras2Node(
          'BatchNormalization',
          { name: 'norm', axis: -1, epsilon: 0.01, center: true, scale: false },
          ['conv'],
        ),
        keras2Node('GlobalMaxPooling2D', { name: 'gmp' }, ['norm']),
        keras2Node('Dense', { name: 'classes', units: 10, activation: 'softmax', use_bias: true }, ['gmp']),
      ],
      input_layers: [['input_1', 0, 0]],
      output_layers: [['classes', 0, 0]],
    },
  } as Json,
  weights: {
    input_1: [],
    conv: [
      randomWeight('conv/kernel:0', [3, 3, 1, 3], createRandom(51)),
      randomWeight('conv/bias:0', [3], createRandom(52)),
    ],
    norm: [
      randomWeight('norm/beta:0', [3], createRandom(53)),
      randomWeight('norm/moving_mean:0', [3], createRandom(54)),
      positiveWeight('norm/moving_variance:0', [3], createRandom(55)),
    ],
    classes: [
      randomWeight('classes/kernel:0', [3, 10], createRandom(56)),
      randomWeight('classes/bias:0', [10], createRandom(57)),
    ],
  },
};

describe('small models in each layout, against the numpy reference', { skip: skipReference }, () => {
  test('Keras 2 HDF5, Sequential: every single-input layer; logits get a softmax', async () => {
    const path = await writeModel(
      'every-layer.h5',
      await legacyH5({
        modelConfig: { class_name: 'Sequential', config: { name: 'all', layers: modelA.layers } },
        weights: modelA.weights,
      }),
    );
    const keras = await readKerasModel(path);
    assert.deepEqual(keras.addedLayers, ['cnnx_softmax']);
    assert.ok(keras.notes.some((note) => /logits/.test(note)));
    const count = 5;
    const inputs = randomInputs(count * 12 * 12 * 3, 100);
    const logits = kerasReferenceForward(path, inputs, work);
    const difference = maxAbsDiff(predictWith(keras, inputs, count), softmaxRows(logits, 3));
    assert.ok(difference < 1e-4, `max |Δ| ${difference}`);
    keras.model.dispose();
  });

  test('Keras 3 .keras, functional: merges, Permute, Rescaling; 28×28 input without a channel axis', async () => {
    const path = await writeModel('merges.keras', await kerasZip({ config: modelB, vars: modelBVars }));
    const keras = await readKerasModel(path);
    assert.deepEqual(keras.model.inputs[0]!.shape, [null, 28, 28, 1], 'takes cnnx 28×28×1 images');
    assert.deepEqual(keras.kerasInputShape, [null, 28, 28]);
    assert.deepEqual(keras.addedLayers, ['cnnx_image_reshape']);
    const count = 4;
    const inputs = randomInputs(count * 28 * 28, 101);
    const difference = maxAbsDiff(
      predictWith(keras, inputs, count),
      kerasReferenceForward(path, inputs, work),
    );
    assert.ok(difference < 1e-4, `max |Δ| ${difference}`);
    // The folders are numbered by class and order: 'edges' is layers/conv2d, 'blobs' layers/conv2d_1.
    const kernel = keras.model.getLayer('blobs').getWeights()[0]!.dataSync();
    assert.deepEqual(Array.from(kernel), Array.from(modelBVars.conv2d_1[0]!.values));
    // What a fine-tuned run keeps: the model saved in cnnx's tfjs format loads back and computes the same.
    await saveModel(keras.model, join(work, 'merges-run'));
    const reloaded = await loadModel(join(work, 'merges-run'));
    const again = tf.tidy(
      () => (reloaded.predict(tf.tensor(inputs, [count, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array,
    );
    assert.ok(
      maxAbsDiff(again, predictWith(keras, inputs, count)) < 1e-6,
      'saveModel → loadModel keeps the model',
    );
    reloaded.dispose();
    keras.model.dispose();
  });

  test('Keras 3 .keras, Sequential built without an InputLayer, names against the class order', async () => {
    const path = await writeModel('built.keras', await kerasZip({ config: modelC, vars: modelCVars }));
    const keras = await readKerasModel(path);
    assert.deepEqual(keras.model.inputs[0]!.shape, [null, 10, 10, 1]);
    assert.deepEqual(keras.addedLayers, [], 'a softmax Activation after the linear Dense counts');
    const count = 3;
    const inputs = randomInputs(count * 100, 102);
    const difference = maxAbsDiff(
      predictWith(keras, inputs, count),
      kerasReferenceForward(path, inputs, work),
    );
    assert.ok(difference < 1e-4, `max |Δ| ${difference}`);
    const first = keras.model.getLayer('conv2d_12').getWeights()[0]!.dataSync();
    assert.deepEqual(
      Array.from(first),
      Array.from(modelCVars.conv2d[0]!.values),
      'conv2d_12 reads layers/conv2d',
    );
    keras.model.dispose();
  });

  test("Keras 3's legacy HDF5: weight names without ':0' under the model's name; a flat 784 input", async () => {
    const path = await writeModel(
      'mlp.h5',
      await legacyH5({ modelConfig: modelD.config, weights: modelD.weights, kerasVersion: '3.5.0' }),
    );
    const keras = await readKerasModel(path);
    assert.equal(keras.kerasVersion, '3.5.0');
    assert.deepEqual(keras.model.inputs[0]!.shape, [null, 28, 28, 1]);
    const count = 3;
    const inputs = randomInputs(count * 784, 103);
    const difference = maxAbsDiff(
      predictWith(keras, inputs, count),
      kerasReferenceForward(path, inputs, work),
    );
    assert.ok(difference < 1e-4, `max |Δ| ${difference}`);
    keras.model.dispose();
  });

  test('Keras 2 HDF5, an MLP whose Flatten declares input_shape (28, 28) without an InputLayer', async () => {
    const config = {
      class_name: 'Sequential',
      config: {
        name: 'sequential_1',
        layers: [
          keras2Layer('Flatten', {
            name: 'flatten_1',
            batch_input_shape: [null, 28, 28],
            data_format: 'channels_last',
          }),
          keras2Layer('Dense', { name: 'dense_1', units: 16, activation: 'relu', use_bias: true }),
          keras2Layer('Dense', { name: 'dense_2', units: 10, activation: 'softmax', use_bias: true }),
        ],
      },
    };
    const weights = {
      flatten_1: [],
      dense_1: [
        randomWeight('dense_1/kernel:0', [784, 16], createRandom(61), 0.1),
        randomWeight('dense_1/bias:0', [16], createRandom(62)),
      ],
      dense_2: [
        randomWeight('dense_2/kernel:0', [16, 10], createRandom(63)),
        randomWeight('dense_2/bias:0', [10], createRandom(64)),
      ],
    };
    const path = await writeModel('flatten-mlp.h5', await legacyH5({ modelConfig: config, weights }));
    const keras = await readKerasModel(path);
    assert.deepEqual(keras.model.inputs[0]!.shape, [null, 28, 28, 1]);
    assert.deepEqual(keras.kerasInputShape, [null, 28, 28]);
    const count = 3;
    const inputs = randomInputs(count * 784, 105);
    const difference = maxAbsDiff(
      predictWith(keras, inputs, count),
      kerasReferenceForward(path, inputs, work),
    );
    assert.ok(difference < 1e-4, `max |Δ| ${difference}`);
    keras.model.dispose();
  });

  test("Keras 2 HDF5, functional ('Model'): batch norm without scale, global max pooling", async () => {
    const path = await writeModel(
      'functional.h5',
      await legacyH5({ modelConfig: modelE.config, weights: modelE.weights }),
    );
    const keras = await readKerasModel(path);
    const count = 4;
    const inputs = randomInputs(count * 64, 104);
    const difference = maxAbsDiff(
      predictWith(keras, inputs, count),
      kerasReferenceForward(path, inputs, work),
    );
    assert.ok(difference < 1e-4, `max |Δ| ${difference}`);
    keras.model.dispose();
  });
});

describe('the five real Keras files', () => {
  const fixtures = kerasFixturesDir();
  for (const fixture of KERAS_FIXTURES) {
    test(`${fixture.file}: Keras ${fixture.kerasVersion}, ${fixture.parameters.toLocaleString('en-US')} parameters`, {
      skip: fixtures.skip,
    }, async () => {
      const keras = await readKerasModel(join(fixtures.dir, fixture.file));
      assert.equal(keras.kerasVersion, fixture.kerasVersion);
      assert.equal(keras.format, fixture.file.endsWith('.h5') ? 'hdf5' : 'keras-zip');
      assert.equal(keras.backend, fixture.file.endsWith('.h5') ? 'tensorflow' : null);
      assert.equal(
        keras.layers.reduce((sum, layer) => sum + layer.parameters, 0),
        fixture.parameters,
      );
      assert.deepEqual(keras.model.inputs[0]!.shape, [null, 28, 28, 1]);
      assert.deepEqual(keras.model.outputs[0]!.shape, [null, 10]);
      keras.model.dispose();
    });
  }

  test('the summary shows the layer table with Keras counts, the version and the backend', {
    skip: fixtures.skip,
  }, async () => {
    const keras = await readKerasModel(join(fixtures.dir, 'h5-keras2.3.1-ikukang-dlwp-convnet.h5'));
    const text = formatKerasSummary(keras);
    assert.match(
      text,
      /^Keras model "sequential_1": legacy HDF5 \(\.h5\), Keras 2\.3\.1, backend tensorflow$/m,
    );
    assert.match(text, /^conv2d_1 \(Conv2D\)\s+\(None, 26, 26, 32\)\s+320$/m);
    assert.match(text, /^dense_1 \(Dense\)\s+\(None, 64\)\s+36,928$/m);
    assert.match(text, /^Total params: 93,322$/m);
    assert.match(text, /^Input scale: unit \(pixels ÷ 255\)$/m);
    keras.model.dispose();

    const batchNorm = await readKerasModel(join(fixtures.dir, 'keras3-3.13.2-charm0625-batchnorm.keras'), {
      inputScale: 'none',
    });
    const keras3 = formatKerasSummary(batchNorm);
    assert.match(keras3, /Keras 3 zip \(\.keras\), Keras 3\.13\.2, backend not recorded/);
    assert.match(
      keras3,
      /^Non-trainable params: 704$/m,
      'moving means and variances of the four batch norms',
    );
    assert.match(keras3, /^Input scale: none \(raw 0-255 pixels\)$/m);
    batchNorm.model.dispose();

    const lenet = await readKerasModel(
      join(fixtures.dir, 'h5-keras2.1.6-tensorspace-lenet-input28x28-reshape.h5'),
    );
    assert.match(
      formatKerasSummary(lenet),
      /^Note: the model's input is \(None, 28, 28\): the reader adds a Reshape/m,
    );
    lenet.model.dispose();
  });

  test('every layer class of the fixtures is among the supported ones', () => {
    for (const name of [
      'InputLayer',
      'Conv2D',
      'MaxPooling2D',
      'Activation',
      'Dropout',
      'Flatten',
      'Dense',
      'BatchNormalization',
      'Reshape',
    ]) {
      assert.ok(SUPPORTED_KERAS_LAYERS.includes(name), name);
    }
  });
});
