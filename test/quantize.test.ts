import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadDataset, toFloat32 } from '@cnnx/data';
import { exportToOnnx, readOnnx } from '@cnnx/export';
import { Classifier } from '@cnnx/runtime';
import { quickstartRun } from './helpers/model.js';

/** The index of the largest value in each row of `probabilities` (count × classes). */
function predictedClasses(probabilities: Float32Array, classes: number): Uint8Array {
  const predicted = new Uint8Array(probabilities.length / classes);
  for (let i = 0; i < predicted.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probabilities[i * classes + c]! > probabilities[i * classes + best]!) best = c;
    }
    predicted[i] = best;
  }
  return predicted;
}

describe('fp16 and int8 exports of the trained quickstart model, on the held-out digits', () => {
  const classes = 10;
  let modelDir: string;
  let heldOut: Awaited<ReturnType<typeof loadDataset>>;
  let fp32: { bytes: Uint8Array; predicted: Uint8Array; accuracy: number };

  async function score(bytes: Uint8Array) {
    const classifier = await Classifier.load(bytes, { device: 'cpu' });
    const probabilities = await classifier.probabilities(heldOut.images, heldOut.count);
    await classifier.release();
    const predicted = predictedClasses(probabilities, classes);
    const correct = predicted.filter((label, i) => label === heldOut.labels[i]).length;
    return { bytes, predicted, accuracy: correct / heldOut.count };
  }

  function agreement(a: Uint8Array, b: Uint8Array): number {
    return a.filter((label, i) => label === b[i]).length / a.length;
  }

  before(async () => {
    modelDir = join(await quickstartRun(), 'model');
    heldOut = await loadDataset('mnist-sample', { split: 'test' });
    fp32 = await score(await exportToOnnx(modelDir));
  });

  test('fp16: about half the size, ≥ 99.5% class agreement with fp32', async () => {
    const fp16 = await score(await exportToOnnx(modelDir, { quantize: 'fp16' }));
    const ratio = fp16.bytes.byteLength / fp32.bytes.byteLength;
    assert.ok(ratio > 0.45 && ratio < 0.55, `size ratio ${ratio}`);
    assert.equal(readOnnx(fp16.bytes).inputs[0]?.type, 'float32', 'inputs stay float32');
    assert.ok(agreement(fp16.predicted, fp32.predicted) >= 0.995);
  });

  test('int8: ≥ 99.5% class agreement, accuracy within 0.3 points of fp32', async () => {
    const training = await loadDataset('mnist-sample', { split: 'train' });
    const calibration = toFloat32(training.images.subarray(0, 512 * 784));
    const int8 = await score(await exportToOnnx(modelDir, { quantize: 'int8', calibration }));
    const operators = readOnnx(int8.bytes).operators;
    assert.ok((operators.QuantizeLinear ?? 0) > 0 && (operators.DequantizeLinear ?? 0) > 0, 'a QDQ graph');
    const agreeing = agreement(int8.predicted, fp32.predicted);
    assert.ok(agreeing >= 0.995, `agreement ${agreeing}`);
    assert.ok(
      Math.abs(int8.accuracy - fp32.accuracy) <= 0.003,
      `int8 ${int8.accuracy} vs fp32 ${fp32.accuracy}`,
    );
  });
});
