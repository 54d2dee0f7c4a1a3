import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  buildModel,
  formatModelSummary,
  InputShapeError,
  initBackend,
  type ModelSpec,
  ModelSpecError,
  PRESET_NAMES,
  presets,
} from '../src/index.js';

const digits = { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10, seed: 7 };

before(async () => {
  await initBackend('cpu');
});

describe('presets', () => {
  const keras: Record<string, number> = { classic: 421_642, basic: 121_994, dropout: 232_650, tiny: 176_170 };
  for (const [name, parameters] of Object.entries(keras)) {
    test(`${name} has the ${parameters.toLocaleString('en-US')} parameters Keras counts`, () => {
      const model = buildModel(name, digits);
      assert.equal(model.countParams(), parameters);
      model.dispose();
    });
  }

  test('every preset builds, ends in 10 softmax probabilities and matches its listed count', () => {
    for (const name of PRESET_NAMES) {
      const model = buildModel(name, digits);
      assert.deepEqual(model.outputs[0]!.shape, [null, 10], name);
      assert.equal(model.countParams(), presets[name].parameters, name);
      model.dispose();
    }
  });

  test('best is a graph with batch normalisation, dropout and a residual Add merge', () => {
    const model = buildModel('best', digits);
    const classes = model.layers.map((layer) => layer.getClassName());
    assert.ok(classes.includes('BatchNormalization'));
    assert.ok(classes.includes('Dropout'));
    assert.equal(classes.filter((name) => name === 'Add').length, 1);
    model.dispose();
  });

  test('the same seed gives the same initial weights, another seed different ones', () => {
    const first = buildModel('tiny', digits);
    const second = buildModel('tiny', digits);
    const third = buildModel('tiny', { ...digits, seed: 8 });
    const values = (model: typeof first) => Array.from(model.getWeights()[0]!.dataSync());
    assert.deepEqual(values(first), values(second));
    assert.notDeepEqual(values(first), values(third));
    for (const model of [first, second, third]) model.dispose();
  });

  test('the summary table lists layers, output shapes and totals like Keras', () => {
    const model = buildModel('classic', digits);
    const text = formatModelSummary(model);
    assert.match(text, /Conv2D\)\s+\(None, 28, 28, 32\)\s+320/);
    assert.match(text, /Dense\)\s+\(None, 128\)\s+401,536/);
    assert.match(text, /Total params: 421,642/);
    assert.match(text, /Non-trainable params: 0/);
    model.dispose();
  });
});

describe('JSON specs', () => {
  const residual: ModelSpec = {
    inputs: ['image'],
    layers: [
      { type: 'conv2d', name: 'a', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'Conv2D', name: 'b', inputs: ['a'], filters: 4, kernelSize: [3, 3], padding: 'same' },
      { type: 'add', name: 'sum', inputs: ['a', 'b'] },
      { type: 'concatenate', name: 'both', inputs: ['sum', 'a'] },
      { type: 'maxPooling2d', name: 'pool', poolSize: 2 },
      { type: 'flatten', name: 'flat' },
      { type: 'dense', name: 'out', units: 'classes', activation: 'softmax' },
    ],
    outputs: ['out'],
  };

  test('a functional spec with Add and Concatenate builds with the expected parameters', () => {
    const model = buildModel(residual, digits);
    // conv a 4·9+4, conv b 4·4·9+4, dense 14·14·8·10+10
    assert.equal(model.countParams(), 40 + 148 + 15_690);
    assert.deepEqual(
      model.layers.filter((layer) => layer.getClassName() === 'Add').map((layer) => layer.name),
      ['sum'],
    );
    model.dispose();
  });

  const bad: [string, ModelSpec, RegExp][] = [
    [
      'an unknown layer type',
      { layers: [{ type: 'conv3d' }] },
      /layers\[0\].*unknown layer type "conv3d".*conv2d, dense/,
    ],
    [
      'a bad option value',
      { layers: [{ type: 'conv2d', filters: 8, kernelSize: 3, padding: 'full' }] },
      /layers\[0\] "conv2d": option "padding" is "full"; expected same, valid/,
    ],
    [
      'an unknown option',
      { layers: [{ type: 'dense', units: 10, kernel: 3 }] },
      /unknown option "kernel" for dense; accepted options: units, activation, useBias/,
    ],
    ['a missing option', { layers: [{ type: 'dense' }] }, /dense needs option "units"/],
    [
      'an input that is not a layer',
      { inputs: ['image'], layers: [{ type: 'flatten', name: 'f', inputs: ['nothing'] }] },
      /input "nothing" is not an earlier layer or model input; known: image/,
    ],
    [
      'a merge in a Sequential spec',
      { layers: [{ type: 'add' }] },
      /add merges layers and needs a functional spec/,
    ],
    [
      'an output of the wrong width',
      { layers: [{ type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }] },
      /output has shape \[batch, 3\] but the data has 10 classes/,
    ],
    ['no layers', { layers: [] }, /"layers" must be a non-empty array/],
  ];
  for (const [what, spec, message] of bad) {
    test(`${what} is refused with a ModelSpecError naming it`, () => {
      assert.throws(
        () => buildModel(spec, digits),
        (error: unknown) => error instanceof ModelSpecError && message.test(error.message),
      );
    });
  }

  test('a declared input shape that differs from the data names both shapes', () => {
    assert.throws(
      () =>
        buildModel(
          { inputShape: [32, 32, 3], layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }] },
          digits,
        ),
      (error: unknown) =>
        error instanceof InputShapeError && /\[32, 32, 3\].*\[28, 28, 1\]/.test(error.message),
    );
  });

  test('an unknown preset name lists the presets', () => {
    assert.throws(
      () => buildModel('resnet50', digits),
      /unknown model "resnet50"; accepted presets: classic, basic/,
    );
  });
});
