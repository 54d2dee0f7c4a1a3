// Bad Keras files: each is refused with one typed error that names the file and the reason, and nothing
// outside the file is ever read.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRandom } from '@cnnx/data';
import {
  hdf5Bytes,
  type Json,
  keras2Layer,
  keras3Layer,
  kerasReferenceUnavailable,
  kerasZip,
  legacyH5,
  randomWeight,
} from '@cnnx/testing';
import type { Group as H5Group } from 'h5wasm';
import {
  initBackend,
  KerasFormatError,
  readKerasModel,
  readKerasModelFromBytes,
  SUPPORTED_KERAS_LAYERS,
  UnsupportedLayerError,
} from '../src/index.js';

let work: string;

before(async () => {
  await initBackend('cpu');
  work = await mkdtemp(join(tmpdir(), 'cnnx-keras-errors-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeModel(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(work, name);
  await writeFile(path, bytes);
  return path;
}

/** A small valid Keras 2 model: Input 4×4×1 → Flatten → Dense 3 softmax. */
function denseModel(extraLayers: Json[] = []): Json {
  return {
    class_name: 'Sequential',
    config: {
      name: 'small',
      layers: [
        keras2Layer('InputLayer', { name: 'input_1', batch_input_shape: [null, 4, 4, 1] }),
        keras2Layer('Flatten', { name: 'flatten' }),
        ...extraLayers,
        keras2Layer('Dense', { name: 'dense', units: 3, activation: 'softmax', use_bias: true }),
      ],
    },
  };
}

const denseWeights = () => ({
  dense: [
    randomWeight('dense/kernel:0', [16, 3], createRandom(1)),
    randomWeight('dense/bias:0', [3], createRandom(2)),
  ],
});

/** Asserts that reading `path` fails with a KerasFormatError whose reason matches `reason`, in one line. */
async function assertFormatError(path: string, reason: RegExp): Promise<void> {
  await assert.rejects(readKerasModel(path), (error: unknown) => {
    assert.ok(error instanceof KerasFormatError, `a KerasFormatError, got ${String(error)}`);
    assert.equal(error.file, path);
    assert.match(error.reason, reason);
    assert.equal(error.message, `${path}: ${error.reason}`);
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    return true;
  });
}

describe('files that are not Keras models', () => {
  test('neither HDF5 nor a zip: names the first bytes', async () => {
    const path = await writeModel('model.json', new TextEncoder().encode('{"format": "layers-model"}'));
    await assertFormatError(
      path,
      /^neither an HDF5 file \(\.h5\) nor a Keras zip \(\.keras\): it starts with 7b 22 66/,
    );
  });

  test('an empty file', async () => {
    await assertFormatError(await writeModel('empty.h5', new Uint8Array(0)), /empty file/);
  });

  test('a missing file and a folder', async () => {
    await assertFormatError(join(work, 'nowhere.h5'), /^no such file$/);
    const folder = join(work, 'saved_model');
    await mkdir(folder);
    await assertFormatError(folder, /a folder, not a Keras file/);
  });

  test('an HDF5 file that is not a Keras model, and one with weights only', async () => {
    const plain = await hdf5Bytes((file) => {
      file.create_dataset({ name: 'images', data: new Float32Array(4), shape: [2, 2], dtype: '<f' });
    });
    await assertFormatError(
      await writeModel('plain.h5', plain),
      /^an HDF5 file without a Keras model_config attribute: not a Keras model file$/,
    );
    await assertFormatError(
      await writeModel('other.h5', await legacyH5({ modelConfig: undefined, weights: {} })),
      /weights only \(no model_config\): save the whole model with model\.save/,
    );
  });

  test('a zip without config.json', async () => {
    await assertFormatError(
      await writeModel('other.keras', await kerasZip({ config: undefined, vars: {} })),
      /without config\.json/,
    );
  });

  test('a subclassed model whose config has no layers', async () => {
    const config = {
      module: 'my_models',
      class_name: 'MyNet',
      config: { units: 10 },
      registered_name: 'Custom>MyNet',
    };
    await assertFormatError(
      await writeModel('subclassed.keras', await kerasZip({ config, vars: {} })),
      /subclassed Keras model \(MyNet\)/,
    );
  });

  test('model_config that is not JSON', async () => {
    await assertFormatError(
      await writeModel(
        'broken-config.h5',
        await legacyH5({ modelConfig: '{"class_name": "Seq', weights: {} }),
      ),
      /^model_config is not valid JSON/,
    );
  });
});

describe('truncated files', () => {
  test('a legacy HDF5 file cut in half', async () => {
    const bytes = await legacyH5({ modelConfig: denseModel(), weights: denseWeights() });
    await assertFormatError(
      await writeModel('cut.h5', bytes.subarray(0, Math.floor(bytes.length / 2))),
      /HDF5|truncated|cannot read/,
    );
  });

  test('a .keras zip cut short', async () => {
    const bytes = await kerasZip({ config: denseModel(), vars: { dense: denseWeights().dense } });
    await assertFormatError(
      await writeModel('cut.keras', bytes.subarray(0, bytes.length - 40)),
      /damaged or truncated zip/,
    );
  });

  test('a zip entry that claims to unpack to more than the reader accepts', async () => {
    const bytes = await kerasZip({ config: denseModel(), vars: { dense: denseWeights().dense } });
    // Patch the uncompressed size of model.weights.h5 in the central directory to 2 GiB.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const text = new TextDecoder('latin1');
    for (let offset = 0; offset + 46 < bytes.length; offset += 1) {
      if (view.getUint32(offset, true) !== 0x02014b50) continue;
      const nameLength = view.getUint16(offset + 28, true);
      if (text.decode(bytes.subarray(offset + 46, offset + 46 + nameLength)) === 'model.weights.h5') {
        view.setUint32(offset + 24, 2 ** 31, true);
      }
    }
    await assertFormatError(
      await writeModel('bomb.keras', bytes),
      /model\.weights\.h5 would unpack to more than/,
    );
  });
});

describe('missing weights', () => {
  test('legacy HDF5: a layer with no group in model_weights', async () => {
    await assertFormatError(
      await writeModel('no-dense.h5', await legacyH5({ modelConfig: denseModel(), weights: {} })),
      /^missing weights: layer 'dense' \(Dense\) needs kernel \[16, 3\], bias \[3\], but the file has no \/model_weights\/dense$/,
    );
  });

  test('legacy HDF5: weight_names lists a dataset that is not there', async () => {
    const bytes = await legacyH5({
      modelConfig: denseModel(),
      weights: { dense: [randomWeight('dense/kernel:0', [16, 3], createRandom(1))] },
      extra: (file) => {
        const group = file.get('model_weights/dense') as H5Group;
        group.delete_attribute('weight_names');
        group.create_attribute('weight_names', ['dense/kernel:0', 'dense/bias:0']);
      },
    });
    await assertFormatError(
      await writeModel('no-bias.h5', bytes),
      /^missing weights: layer 'dense' lists weight 'dense\/bias:0'/,
    );
  });

  test('legacy HDF5: fewer weights than the layer needs', async () => {
    const bytes = await legacyH5({
      modelConfig: denseModel(),
      weights: { dense: [randomWeight('dense/kernel:0', [16, 3], createRandom(1))] },
    });
    await assertFormatError(
      await writeModel('one-weight.h5', bytes),
      /the file holds 1 weights in \/model_weights\/dense, the layer needs 2/,
    );
  });

  test('.keras: no model.weights.h5 in the archive', async () => {
    await assertFormatError(
      await writeModel(
        'no-weights.keras',
        await kerasZip({ config: denseModel(), vars: {}, withoutWeights: true }),
      ),
      /^missing weights: the archive has no model\.weights\.h5$/,
    );
  });

  test('.keras: no vars folder for a layer', async () => {
    await assertFormatError(
      await writeModel('no-vars.keras', await kerasZip({ config: denseModel(), vars: {} })),
      /^missing weights: layer 'dense' \(Dense\) needs kernel \[16, 3\], bias \[3\], but the file has no \/layers\/dense\/vars$/,
    );
  });
});

describe('a weight whose shape does not match its layer', () => {
  test('legacy HDF5', async () => {
    const bytes = await legacyH5({
      modelConfig: denseModel(),
      weights: {
        dense: [
          randomWeight('dense/kernel:0', [15, 3], createRandom(1)),
          randomWeight('dense/bias:0', [3], createRandom(2)),
        ],
      },
    });
    await assertFormatError(
      await writeModel('wrong-shape.h5', bytes),
      /^layer 'dense' \(Dense\): weight \/model_weights\/dense\/dense\/kernel:0 has shape \[15, 3\] in the file, the layer needs kernel \[16, 3\]$/,
    );
  });

  test('.keras', async () => {
    const bytes = await kerasZip({
      config: denseModel(),
      vars: { dense: [randomWeight('k', [16, 3], createRandom(1)), randomWeight('b', [4], createRandom(2))] },
    });
    await assertFormatError(
      await writeModel('wrong-shape.keras', bytes),
      /weight \/layers\/dense\/vars\/1 has shape \[4\] in the file, the layer needs bias \[3\]$/,
    );
  });
});

describe('unsupported layers and options', () => {
  async function assertUnsupported(
    extra: Json,
    layer: string,
    className: string,
    detail?: RegExp,
  ): Promise<void> {
    const path = await writeModel(
      `${layer}.h5`,
      await legacyH5({ modelConfig: denseModel([extra]), weights: denseWeights() }),
    );
    await assert.rejects(readKerasModel(path), (error: unknown) => {
      assert.ok(error instanceof UnsupportedLayerError, `an UnsupportedLayerError, got ${String(error)}`);
      assert.equal(error.file, path);
      assert.equal(error.layer, layer);
      assert.equal(error.className, className);
      assert.deepEqual(error.supported, SUPPORTED_KERAS_LAYERS);
      assert.match(
        error.message,
        new RegExp(`^${path}: layer '${layer}' \\(${className}\\) is not supported by the Keras reader`),
      );
      assert.match(
        error.message,
        /; supported: Activation, Add, AlphaDropout, Average, AveragePooling2D, BatchNormalization, /,
      );
      if (detail) assert.match(error.reason, detail);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  }

  test('a layer class the reader does not know (LSTM), named with the supported list', async () => {
    await assertUnsupported(keras2Layer('LSTM', { name: 'lstm_1', units: 4 }), 'lstm_1', 'LSTM');
  });

  test('a Lambda layer and a custom registered layer', async () => {
    await assertUnsupported(keras2Layer('Lambda', { name: 'lambda', function: 'x' }), 'lambda', 'Lambda');
    const custom = {
      ...(keras3Layer('Dense', { name: 'mine', units: 3 }) as Record<string, Json>),
      registered_name: 'my_pkg>MyDense',
    };
    await assertUnsupported(custom, 'mine', 'Dense', /a custom layer registered as 'my_pkg>MyDense'/);
  });

  test('options TensorFlow.js cannot compute: grouped convolution, ELU alpha, an unknown activation', async () => {
    await assertUnsupported(
      keras2Layer('Conv2D', { name: 'grouped', filters: 2, kernel_size: [1, 1], groups: 2 }),
      'grouped',
      'Conv2D',
      /\(groups = 2\)/,
    );
    await assertUnsupported(
      keras2Layer('ELU', { name: 'elu', alpha: 0.7 }),
      'elu',
      'ELU',
      /\(alpha = 0\.7\)/,
    );
    await assertUnsupported(
      keras2Layer('Activation', { name: 'act', activation: 'leaky_relu' }),
      'act',
      'Activation',
      /activation "leaky_relu"; the reader supports linear, relu/,
    );
    const hardSigmoid = keras3Layer('Activation', { name: 'hs', activation: 'hard_sigmoid' });
    const path = await writeModel(
      'hs.keras',
      await kerasZip({ config: denseModel([hardSigmoid]), vars: {}, kerasVersion: '3.5.0' }),
    );
    await assert.rejects(
      readKerasModel(path),
      UnsupportedLayerError,
      "Keras 3's hard_sigmoid differs from tfjs's",
    );
  });
});

describe('nothing outside the file is read', () => {
  test('an HDF5 external link (to a real file with the right weights) is refused', async () => {
    const elsewhere = await writeModel(
      'elsewhere.h5',
      await legacyH5({ modelConfig: denseModel(), weights: denseWeights() }),
    );
    const bytes = await legacyH5({
      modelConfig: denseModel(),
      weights: {},
      extra: (file) => {
        (file.get('model_weights') as H5Group).create_external_link(
          elsewhere,
          '/model_weights/dense',
          'dense',
        );
      },
    });
    await assertFormatError(
      await writeModel('linked.h5', bytes),
      new RegExp(
        `^/model_weights/dense is an external link to ${elsewhere}:/model_weights/dense; the reader reads nothing outside the file$`,
      ),
    );
  });

  test('a dataset kept in an external raw file is not read', {
    skip: kerasReferenceUnavailable(),
  }, async () => {
    const path = join(work, 'external-storage.h5');
    const raw = join(work, 'kernel.raw');
    const valid = await readKerasModel(
      await writeModel('valid.h5', await legacyH5({ modelConfig: denseModel(), weights: denseWeights() })),
    );
    valid.model.dispose();
    // h5py writes the same model with the kernel's values in an external raw file at an absolute path.
    execFileSync('/usr/bin/python3', [
      '-c',
      [
        'import sys, json, h5py, numpy as np',
        'source, target, raw = sys.argv[1:4]',
        "src = h5py.File(source, 'r')",
        'kernel = np.asarray(src["model_weights/dense/dense/kernel:0"], dtype=np.float32)',
        'kernel.tofile(raw)',
        "out = h5py.File(target, 'w')",
        'for key, value in src.attrs.items(): out.attrs[key] = value',
        "group = out.create_group('model_weights/dense')",
        "group.attrs['weight_names'] = [b'dense/kernel:0', b'dense/bias:0']",
        "group.create_dataset('dense/kernel:0', shape=kernel.shape, dtype='<f4', external=[(raw, 0, kernel.nbytes)])",
        'group.create_dataset("dense/bias:0", data=np.asarray(src["model_weights/dense/dense/bias:0"]))',
        'out.close()',
      ].join('\n'),
      join(work, 'valid.h5'),
      path,
      raw,
    ]);
    await assertFormatError(path, /cannot read \/model_weights\/dense\/dense\/kernel:0/);
    assert.ok(
      (await readFile(raw)).length > 0,
      'the raw file exists: the reader refused it, it was not missing',
    );
  });
});

describe('options', () => {
  test('a model that starts with Rescaling(1/255) takes raw pixels: input scale none unless told otherwise', async () => {
    const config = {
      class_name: 'Sequential',
      config: {
        name: 'rescaled',
        layers: [
          keras3Layer('InputLayer', { name: 'input_layer', batch_shape: [null, 4, 4, 1] }),
          keras3Layer('Rescaling', { name: 'rescaling', scale: 1 / 255, offset: 0 }),
          keras3Layer('Flatten', { name: 'flatten' }),
          keras3Layer('Dense', { name: 'dense', units: 3, activation: 'softmax', use_bias: true }),
        ],
      },
    };
    const bytes = await kerasZip({ config, vars: { dense: denseWeights().dense } });
    const chosen = await readKerasModelFromBytes(bytes);
    assert.equal(chosen.inputScale, 'none');
    assert.ok(chosen.notes.some((note) => /starts with Rescaling\(1\/255\).*input scale none/.test(note)));
    chosen.model.dispose();
    const told = await readKerasModelFromBytes(bytes, { inputScale: 'unit' });
    assert.equal(told.inputScale, 'unit', 'an explicit scale is kept');
    assert.ok(told.notes.some((note) => /scaled twice/.test(note)));
    told.model.dispose();
  });

  test('inputScale is returned as given, and a bad one is a RangeError naming it', async () => {
    const bytes = await legacyH5({ modelConfig: denseModel(), weights: denseWeights() });
    for (const scale of ['unit', 'none', 'standard:0.1307:0.3081']) {
      const keras = await readKerasModelFromBytes(bytes, { inputScale: scale });
      assert.equal(keras.inputScale, scale);
      keras.model.dispose();
    }
    const keras = await readKerasModelFromBytes(bytes);
    assert.equal(keras.inputScale, 'unit', 'unit by default');
    assert.equal(keras.file, 'Keras model');
    keras.model.dispose();
    for (const scale of ['raw', 'standard:0.1:0', 'standard:x:1']) {
      await assert.rejects(readKerasModelFromBytes(bytes, { inputScale: scale }), {
        name: 'RangeError',
        message: `'inputScale' must be unit, none or standard:MEAN:STD with STD > 0, got '${scale}'`,
      });
    }
  });
});
