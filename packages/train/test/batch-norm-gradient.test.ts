import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerBatchNormGradient } from '../src/training/batch-norm-gradient.js';

/** Gradients of a batch-normalised sum with respect to x, scale and offset (moments taken from x). */
function gradients(shape: number[], seed: number): Float32Array[] {
  const channels = shape.at(-1)!;
  const axes = shape.slice(0, -1).map((_, axis) => axis);
  const x = tf.randomNormal(shape, 0.5, 2, 'float32', seed);
  const weights = tf.randomNormal(shape, 0, 1, 'float32', seed + 1);
  const scale = tf.randomNormal([channels], 1, 0.2, 'float32', seed + 2);
  const offset = tf.randomNormal([channels], 0, 0.2, 'float32', seed + 3);
  const loss = (input: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
    const { mean, variance } = tf.moments(input, axes);
    return tf.sum(tf.mul(tf.batchNorm(input, mean, variance, beta, gamma, 1e-3), weights));
  };
  return tf
    .grads(loss)([x, scale, offset])
    .map((tensor) => tensor.dataSync() as Float32Array);
}

test("the broadcasting FusedBatchNorm gradient equals tfjs's tiling one to 1e-5", async () => {
  await tf.setBackend('cpu');
  const shapes = [
    [3, 5, 4, 6],
    [1, 7, 7, 2],
    [8, 3],
  ];
  const stock = shapes.map((shape, index) => gradients(shape, 10 * index + 1));
  registerBatchNormGradient();
  registerBatchNormGradient(); // twice is harmless
  shapes.forEach((shape, index) => {
    const ours = gradients(shape, 10 * index + 1);
    ours.forEach((values, which) => {
      const expected = stock[index]![which]!;
      assert.equal(values.length, expected.length);
      for (let position = 0; position < values.length; position += 1) {
        assert.ok(
          Math.abs(values[position]! - expected[position]!) < 1e-5,
          `shape ${shape} input ${which} [${position}]: ${values[position]} vs ${expected[position]}`,
        );
      }
    });
  });
});
