// openModel reads a tfjs folder or a Keras file (told by its bytes) with the scale its pixels need, and
// predict, evaluateModel and trainModel feed the pixels scaled that way.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRandom } from '@cnnx/data';
import { keras2Layer, legacyH5, randomWeight } from '@cnnx/testing';
import {
  detectKerasFile,
  evaluateModel,
  initBackend,
  KerasFormatError,
  openModel,
  predict,
  saveModel,
  trainModel,
} from '../src/index.js';

let work = '';
const kernel = randomWeight('dense/kernel:0', [16, 3], createRandom(5), 0.05);
const bias = randomWeight('dense/bias:0', [3], createRandom(6), 0.1);
// four 4×4 images of bytes, and their labels
const images = Uint8Array.from({ length: 4 * 16 }, (_, index) => (index * 37) % 256);
const labels = new Uint8Array([0, 1, 2, 1]);
const set = { images, labels, count: 4, shape: [4, 4, 1], classNames: ['a', 'b', 'c'] };

/** The dense model's probabilities for the images, each byte turned into a float by `pixel`. */
function expected(pixel: (byte: number) => number): number[] {
  const out: number[] = [];
  for (let image = 0; image < 4; image += 1) {
    const logits = [0, 1, 2].map((unit) => {
      let sum = bias.values[unit]!;
      for (let index = 0; index < 16; index += 1) {
        sum += pixel(images[image * 16 + index]!) * kernel.values[index * 3 + unit]!;
      }
      return sum;
    });
    const exps = logits.map((logit) => Math.exp(logit - Math.max(...logits)));
    const total = exps.reduce((a, b) => a + b, 0);
    out.push(...exps.map((value) => value / total));
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, wanted: number[], what: string): void {
  const largest = Math.max(...wanted.map((value, index) => Math.abs(value - actual[index]!)));
  assert.ok(largest < 1e-5, `${what}: max difference ${largest}`);
}

before(async () => {
  await initBackend('cpu');
  work = await mkdtemp(join(tmpdir(), 'cnnx-open-model-'));
  const modelConfig = {
    class_name: 'Sequential',
    config: {
      name: 'small',
      layers: [
        keras2Layer('InputLayer', { name: 'input_1', batch_input_shape: [null, 4, 4, 1] }),
        keras2Layer('Flatten', { name: 'flatten' }),
        keras2Layer('Dense', { name: 'dense', units: 3, activation: 'softmax', use_bias: true }),
      ],
    },
  };
  await writeFile(
    join(work, 'small.weights'),
    await legacyH5({ modelConfig, weights: { dense: [kernel, bias] } }),
  );
  await writeFile(join(work, 'notes.h5'), 'not a model');
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('openModel', () => {
  test('a Keras file is told by its bytes, whatever its name, and takes the scale asked for', async () => {
    const file = join(work, 'small.weights');
    assert.equal(await detectKerasFile(file), 'hdf5');
    assert.equal(await detectKerasFile(join(work, 'notes.h5')), null);
    assert.equal(await detectKerasFile(work), null);
    assert.equal(await detectKerasFile(join(work, 'nowhere.h5')), null);
    const opened = await openModel(file, { inputScale: 'standard:0.5:0.25' });
    assert.equal(opened.format, 'hdf5');
    assert.equal(opened.inputScale, 'standard:0.5:0.25');
    assert.equal(opened.keras?.kerasVersion, '2.3.1');
    assert.equal(opened.classNames, undefined);
    opened.model.dispose();
    await assert.rejects(openModel(join(work, 'notes.h5')), KerasFormatError);
    await assert.rejects(openModel(file, { inputScale: 'half' }), {
      name: 'RangeError',
      message: "'inputScale' must be unit, none or standard:MEAN:STD with STD > 0, got 'half'",
    });
  });

  test("a tfjs folder brings its manifest's class names, run id and input scale; an explicit scale wins", async () => {
    const keras = await openModel(join(work, 'small.weights'));
    const folder = join(work, 'saved');
    await saveModel(keras.model, folder, { classNames: ['a', 'b', 'c'], runId: 'r1', inputScale: 'none' });
    keras.model.dispose();
    const opened = await openModel(folder);
    assert.equal(opened.format, 'tfjs');
    assert.deepEqual(opened.classNames, ['a', 'b', 'c']);
    assert.equal(opened.runId, 'r1');
    assert.equal(opened.inputScale, 'none');
    opened.model.dispose();
    const told = await openModel(join(folder, 'model.json'), { inputScale: 'unit' });
    assert.equal(told.inputScale, 'unit');
    told.model.dispose();
  });
});

describe('the pixels reach the model scaled as told', () => {
  test('predict and evaluateModel scale by unit, none and standard:MEAN:STD', async () => {
    const { model } = await openModel(join(work, 'small.weights'));
    const scales: [string, (byte: number) => number][] = [
      ['unit', (byte) => byte / 255],
      ['none', (byte) => byte],
      ['standard:0.5:0.25', (byte) => (byte / 255 - 0.5) / 0.25],
    ];
    for (const [scale, pixel] of scales) {
      const wanted = expected(pixel);
      assertClose(await predict(model, images, [4, 4, 1], { inputScale: scale }), wanted, scale);
      const loss =
        -labels.reduce((sum, label, image) => sum + Math.log(wanted[image * 3 + label]! + 1e-7), 0) / 4;
      const measured = evaluateModel(model, set, 0, 256, scale);
      assert.ok(Math.abs(measured.loss - loss) < 1e-5, `${scale}: loss ${measured.loss}, expected ${loss}`);
    }
    assertClose(
      await predict(model, images, [4, 4, 1]),
      expected((byte) => byte / 255),
      'default',
    );
    model.dispose();
  });

  test("trainModel's first step sees the scaled pixels: its loss is the model's loss before the update", async () => {
    for (const [scale, pixel] of [
      ['none', (byte: number) => byte],
      ['unit', (byte: number) => byte / 255],
    ] as const) {
      const { model } = await openModel(join(work, 'small.weights'));
      const wanted = expected(pixel);
      const loss =
        -labels.reduce((sum, label, image) => sum + Math.log(wanted[image * 3 + label]! + 1e-7), 0) / 4;
      const result = await trainModel(model, { train: set }, { epochs: 1, batchSize: 4, inputScale: scale });
      const first = result.history[0]!.loss;
      assert.ok(Math.abs(first - loss) < 1e-5, `${scale}: first loss ${first}, expected ${loss}`);
      model.dispose();
    }
    const { model } = await openModel(join(work, 'small.weights'));
    await assert.rejects(
      trainModel(model, { train: set }, { batchSize: 4, inputScale: 'raw' }),
      /'inputScale' must be/,
    );
    model.dispose();
  });
});
