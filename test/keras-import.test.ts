/**
 * Keras models in, end to end through the libraries: each of the five real Keras files read by
 * @cnnx/train's reader, exported with @cnnx/export, and run by onnxruntime-node through @cnnx/runtime's
 * Classifier — compared with an independent numpy forward pass of the same file on 300 real digits,
 * scored on mnist-sample's held-out digits and asked about a digit image. The same files through the `cnnx`
 * command, fine-tuning included, are keras-cli.test.ts's.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Dataset, loadDataset } from '@cnnx/data';
import { exportToOnnx, readOnnx } from '@cnnx/export';
import { Classifier } from '@cnnx/runtime';
import {
  KERAS_FIXTURES,
  kerasFixturesDir,
  kerasReferenceForward,
  kerasReferenceUnavailable,
} from '@cnnx/testing';
import { initBackend, readKerasModel } from '@cnnx/train';
import sharp from 'sharp';
import { accuracy } from './helpers/accuracy.js';

const classNames = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const fixtures = kerasFixturesDir();
const skip = fixtures.skip || kerasReferenceUnavailable();

describe('the five real Keras files, exported to ONNX and run', { skip }, () => {
  let work = '';
  let heldOut: Dataset;
  const digitImages: { path: string; label: number }[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cnnx-keras-import-'));
    await initBackend('auto');
    heldOut = await loadDataset('mnist-sample', { split: 'test' });
    // Three held-out digits as a user would photograph them: dark ink on white, 3× the size.
    for (const index of [0, 1, 2]) {
      const ink = Uint8Array.from(
        heldOut.images.subarray(index * 784, (index + 1) * 784),
        (value) => 255 - value,
      );
      const path = join(work, `digit-${index}.png`);
      await sharp(ink, { raw: { width: 28, height: 28, channels: 1 } })
        .resize(84, 84)
        .png()
        .toFile(path);
      digitImages.push({ path, label: heldOut.labels[index]! });
    }
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const fixture of KERAS_FIXTURES) {
    test(`${fixture.file}: ONNX equals the numpy reference to 1e-4 on 300 digits, ≥ 97% held out, predicts digit images`, async (t) => {
      const path = join(fixtures.dir, fixture.file);
      const keras = await readKerasModel(path);
      const onnx = await exportToOnnx(keras.model, { classNames, inputScale: keras.inputScale });
      keras.model.dispose();
      const info = readOnnx(onnx);
      assert.deepEqual(info.inputs[0]?.shape, ['batch', 28, 28, 1]);
      assert.equal(info.metadata['cnnx.input_scale'], 'unit');

      const classifier = await Classifier.load(onnx, { device: 'cpu' });
      const probabilities = await classifier.probabilities(heldOut.images, heldOut.count);

      const count = 300;
      const unit = Float32Array.from(heldOut.images.subarray(0, count * 784), (value) => value / 255);
      const expected = kerasReferenceForward(path, unit, work);
      assert.equal(expected.length, count * 10);
      let largest = 0;
      for (let index = 0; index < expected.length; index += 1) {
        largest = Math.max(largest, Math.abs(expected[index]! - probabilities[index]!));
      }
      assert.ok(largest <= 1e-4, `max |ONNX − numpy| ${largest} over ${count} digits`);

      const heldOutAccuracy = accuracy(probabilities, heldOut.labels);
      t.diagnostic(
        `max |ONNX − numpy| ${largest.toExponential(1)} on ${count} digits; ` +
          `${(100 * heldOutAccuracy).toFixed(2)}% of ${heldOut.count} held-out digits`,
      );
      assert.ok(heldOutAccuracy >= 0.97, `accuracy on ${heldOut.count} held-out digits: ${heldOutAccuracy}`);

      for (const digit of digitImages) {
        const [result] = await classifier.classify(digit.path);
        assert.equal(result?.label, String(digit.label), `${digit.path}: ${JSON.stringify(result?.top)}`);
      }
      await classifier.release();
    });
  }
});
