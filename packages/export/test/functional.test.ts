import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { convertToOnnx, readOnnx } from '../src/index.js';
import { CheckerBatch, maxAbsDiff, randomInputs, randomizeWeights, runOnnx, runTfjs } from './helpers.js';

const checker = new CheckerBatch();
const L = tf.layers;

async function assertMatches(model: tf.LayersModel, name: string): Promise<ReturnType<typeof readOnnx>> {
  randomizeWeights(model);
  const bytes = convertToOnnx(model);
  checker.add(name, bytes);
  for (const batch of [1, 7]) {
    const inputs = randomInputs(model, batch, batch + 20);
    const diff = maxAbsDiff(await runOnnx(bytes, inputs), runTfjs(model, inputs));
    assert.ok(diff <= 1e-5, `${name} batch ${batch}: max abs diff ${diff}`);
  }
  const nchw = convertToOnnx(model, { inputLayout: 'nchw' });
  const inputs = randomInputs(model, 3, 5);
  assert.ok(maxAbsDiff(await runOnnx(nchw, inputs, 'nchw'), runTfjs(model, inputs)) <= 1e-5);
  return readOnnx(bytes);
}

test('functional model: residual Add, Concatenate branch, two outputs', async () => {
  const input = tf.input({ shape: [8, 8, 1], name: 'pixels' });
  const stem = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(
    input,
  ) as tf.SymbolicTensor;
  const inner = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(stem) as tf.SymbolicTensor;
  const residual = L.add().apply([stem, inner]) as tf.SymbolicTensor;
  const branch = L.conv2d({ filters: 2, kernelSize: 1 }).apply(residual) as tf.SymbolicTensor;
  const joined = L.concatenate().apply([residual, branch]) as tf.SymbolicTensor;
  const pooled = L.maxPooling2d({ poolSize: 2 }).apply(joined) as tf.SymbolicTensor;
  const flat = L.flatten().apply(pooled) as tf.SymbolicTensor;
  const classes = L.dense({ units: 10, activation: 'softmax', name: 'classes' }).apply(
    flat,
  ) as tf.SymbolicTensor;
  const size = L.dense({ units: 1, name: 'size' }).apply(
    L.globalAveragePooling2d({}).apply(joined),
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [classes, size] });
  const info = await assertMatches(model, 'residual-concat-two-outputs');
  assert.deepEqual(
    info.outputs.map((output) => [output.name, output.shape]),
    [
      ['classes', ['batch', 10]],
      ['size', ['batch', 1]],
    ],
  );
  assert.equal(info.operators.Transpose, 1);
  model.dispose();
});

test('functional model: a layer shared by two branches, and two inputs', async () => {
  const image = tf.input({ shape: [6, 6, 2], name: 'image' });
  const extra = tf.input({ shape: [3], name: 'extra' });
  const shared = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' });
  const first = shared.apply(image) as tf.SymbolicTensor;
  const second = shared.apply(L.maxPooling2d({ poolSize: 2 }).apply(image)) as tf.SymbolicTensor;
  const features = L.concatenate().apply([
    L.globalAveragePooling2d({}).apply(first) as tf.SymbolicTensor,
    L.globalMaxPooling2d({}).apply(second) as tf.SymbolicTensor,
    L.dense({ units: 2 }).apply(extra) as tf.SymbolicTensor,
  ]) as tf.SymbolicTensor;
  const output = L.dense({ units: 4, activation: 'softmax' }).apply(features) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [image, extra], outputs: output });
  const info = await assertMatches(model, 'shared-two-inputs');
  assert.deepEqual(
    info.inputs.map((input) => input.name),
    ['image', 'extra'],
  );
  // The shared convolution is called twice but stores its kernel once.
  assert.equal(info.parameterCount, model.countParams());
  model.dispose();
});

test('functional model: an output that is also read by another layer', async () => {
  const input = tf.input({ shape: [5] });
  const hidden = L.dense({ units: 4, activation: 'tanh', name: 'hidden' }).apply(input) as tf.SymbolicTensor;
  const head = L.dense({ units: 2, name: 'head' }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [hidden, head] });
  await assertMatches(model, 'output-also-read');
  model.dispose();
});

test('every exported model passes onnx.checker.check_model(full_check=True)', (context) => {
  const failures = checker.run();
  if (failures === null) {
    context.skip('/usr/bin/python3 cannot import onnx (install python3-onnx)');
    return;
  }
  assert.equal(checker.paths.length, 3);
  assert.deepEqual(failures, []);
});
