import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  assertVerified,
  convertToOnnx,
  readOnnx,
  UnsupportedLayerError,
  VerificationError,
  verifyOnnx,
} from '../src/index.js';
import { buildClassic, CheckerBatch, maxAbsDiff, randomInputs, runOnnx, runTfjs } from './helpers.js';

const checker = new CheckerBatch();
const classNames = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

describe('classic CNN', () => {
  const model = buildClassic({ dropout: true });
  after(() => model.dispose());

  test('NHWC export: one Transpose, symbolic batch, metadata, equal to tfjs at batch 1 and 7', async () => {
    const bytes = convertToOnnx(model, { classNames, runId: 'run-42', inputScale: 'unit' });
    checker.add('classic-nhwc', bytes);
    const info = readOnnx(bytes);
    assert.equal(info.operators.Transpose, 1);
    assert.equal(info.opset, 17);
    assert.equal(info.irVersion, 8);
    assert.equal(info.producerName, 'cnnx');
    assert.deepEqual(info.inputs, [{ name: 'input', type: 'float32', shape: ['batch', 28, 28, 1] }]);
    assert.deepEqual(info.outputs, [{ name: 'output', type: 'float32', shape: ['batch', 10] }]);
    assert.deepEqual(JSON.parse(info.metadata['cnnx.class_names']!), classNames);
    assert.equal(info.metadata['cnnx.input_layout'], 'nhwc');
    assert.equal(info.metadata['cnnx.input_scale'], 'unit');
    assert.equal(info.metadata['cnnx.run_id'], 'run-42');
    assert.equal(info.operators.Dropout, undefined);
    assert.equal(info.parameterCount, model.countParams());
    for (const batch of [1, 7]) {
      const inputs = randomInputs(model, batch);
      const diff = maxAbsDiff(await runOnnx(bytes, inputs), runTfjs(model, inputs));
      assert.ok(diff < 1e-5, `batch ${batch}: max abs diff ${diff}`);
    }
  });

  test('NCHW export has no Transpose and the same outputs', async () => {
    const bytes = convertToOnnx(model, { inputLayout: 'nchw' });
    checker.add('classic-nchw', bytes);
    const info = readOnnx(bytes);
    assert.equal(info.operators.Transpose, undefined);
    assert.deepEqual(info.inputs[0]!.shape, ['batch', 1, 28, 28]);
    assert.equal(info.metadata['cnnx.input_layout'], 'nchw');
    const inputs = randomInputs(model, 7);
    const diff = maxAbsDiff(await runOnnx(bytes, inputs, 'nchw'), runTfjs(model, inputs));
    assert.ok(diff < 1e-5, `max abs diff ${diff}`);
  });

  test('same-padding Conv is written with explicit pads, never auto_pad', () => {
    const bytes = convertToOnnx(model);
    assert.equal(Buffer.from(bytes).includes(Buffer.from('auto_pad')), false);
    assert.equal(Buffer.from(bytes).includes(Buffer.from('pads')), true);
  });

  test('the same model exported twice gives identical bytes', () => {
    const first = convertToOnnx(model, { classNames });
    const second = convertToOnnx(model, { classNames });
    assert.deepEqual(Buffer.from(first), Buffer.from(second));
  });

  test('opsets 13 to 21 are accepted with their IR versions; others are refused', async () => {
    for (const [opset, ir] of [
      [13, 7],
      [15, 8],
      [19, 9],
      [21, 10],
    ] as const) {
      const bytes = convertToOnnx(model, { opset });
      const info = readOnnx(bytes);
      assert.equal(info.opset, opset);
      assert.equal(info.irVersion, ir);
      const inputs = randomInputs(model, 1);
      assert.ok(maxAbsDiff(await runOnnx(bytes, inputs), runTfjs(model, inputs)) < 1e-5);
    }
    assert.throws(
      () => convertToOnnx(model, { opset: 12 }),
      /'opset' must be an integer from 13 to 21, got 12/,
    );
    assert.throws(() => convertToOnnx(model, { opset: 22 }), RangeError);
  });

  test('metadata options are checked', () => {
    assert.throws(
      () => convertToOnnx(model, { classNames: [1, 2] as unknown as string[] }),
      /'classNames' must be/,
    );
    assert.throws(() => convertToOnnx(model, { inputScale: 'percent' }), /'inputScale' must be unit, none/);
    assert.throws(
      () => convertToOnnx(model, { inputLayout: 'hwcn' as 'nhwc' }),
      /'inputLayout' must be 'nhwc' or 'nchw'/,
    );
    const info = readOnnx(convertToOnnx(model, { inputScale: 'standard:0.1307:0.3081' }));
    assert.equal(info.metadata['cnnx.input_scale'], 'standard:0.1307:0.3081');
  });

  test('verifyOnnx reports a tiny difference and full agreement', async () => {
    const result = await verifyOnnx(convertToOnnx(model), model);
    assert.equal(result.samples, 16);
    assert.ok(result.maxAbsDiff < 1e-5, `max abs diff ${result.maxAbsDiff}`);
    assert.equal(result.agreement, 1);
  });

  test('verifyOnnx compares with the outputs it is given instead of predicting them again', async () => {
    const count = 20;
    const values = Float32Array.from({ length: count * 784 }, (_, index) => (index % 97) / 97);
    const inputs = tf.tensor(values, [count, 28, 28, 1]);
    const own = tf.tidy(() => (model.predict(inputs) as tf.Tensor).dataSync() as Float32Array);
    const other = buildClassic({ seed: 2 });
    const theirs = tf.tidy(() => (other.predict(inputs) as tf.Tensor).dataSync() as Float32Array);
    other.dispose();
    inputs.dispose();
    const bytes = convertToOnnx(model);
    const predicted = await verifyOnnx(bytes, model, { values: [values], count });
    const given = await verifyOnnx(bytes, model, { values: [values], count, expected: [own] });
    assert.equal(given.maxAbsDiff, predicted.maxAbsDiff, 'the given outputs are what tfjs predicts');
    assert.equal(given.samples, count, 'every sample compared');
    const wrong = await verifyOnnx(bytes, model, { values: [values], count, expected: [theirs] });
    assert.ok(wrong.maxAbsDiff > 1e-3, `another model's outputs must differ: ${wrong.maxAbsDiff}`);
    await assert.rejects(
      verifyOnnx(bytes, model, { values: [values], count, expected: [own.subarray(10)] }),
      /'inputs.expected\[0\]' must hold 20 × 10 floats/,
    );
  });

  test('verifyOnnx catches a model whose weights differ', async () => {
    const other = buildClassic({ seed: 2 });
    const result = await verifyOnnx(convertToOnnx(other), model);
    other.dispose();
    assert.ok(result.maxAbsDiff > 1e-3, `max abs diff ${result.maxAbsDiff}`);
    assert.throws(
      () => assertVerified(result, { maxAbsDiff: 1e-4 }),
      (error: unknown) =>
        error instanceof VerificationError &&
        /differs from tfjs by .* \(tolerance 0.0001\)/.test(error.message),
    );
    assert.doesNotThrow(() => assertVerified({ maxAbsDiff: 1e-6, agreement: 1, samples: 16 }));
  });
});

test('an unsupported layer names its class and lists the supported ones', () => {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ inputShape: [4, 3], units: 2 }));
  assert.throws(
    () => convertToOnnx(model),
    (error: unknown) =>
      error instanceof UnsupportedLayerError &&
      error.layer === 'LSTM' &&
      /'LSTM' is not supported/.test(error.message) &&
      error.message.includes('Conv2D'),
  );
});

test('every exported model passes onnx.checker.check_model(full_check=True)', (context) => {
  const failures = checker.run();
  if (failures === null) {
    context.skip('/usr/bin/python3 cannot import onnx (install python3-onnx)');
    return;
  }
  assert.ok(checker.paths.length >= 2);
  assert.deepEqual(failures, []);
});
