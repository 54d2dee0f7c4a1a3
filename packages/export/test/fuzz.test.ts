/**
 * Property-based fuzzing of the exporter's ONNX reader with fast-check: any bytes (exported models with a few
 * random edits, and random bytes) give a description or an OnnxDecodeError, never another exception, with
 * resident memory under 1 GiB. A fixed seed and a time budget (CNNX_FUZZ_SEED, CNNX_FUZZ_MS).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { assertFuzz, mutatedBytes, resultOrAllowed } from '@cnnx/testing';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { exportToOnnx, OnnxDecodeError, readOnnx } from '../src/index.js';

let models: Uint8Array[] = [];

before(async () => {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  models = [
    await exportToOnnx(model, { classNames: ['a', 'b', 'c'] }),
    await exportToOnnx(model, { quantize: 'fp16' }),
  ];
  model.dispose();
});

describe('fuzz: readOnnx', () => {
  it('gives a description or an OnnxDecodeError', async () => {
    await assertFuzz(
      fc.asyncProperty(mutatedBytes(models, 6), async (bytes) => {
        const info = await resultOrAllowed(() => readOnnx(bytes), [OnnxDecodeError]);
        if (info === undefined) return;
        assert.ok(Array.isArray(info.inputs) && Array.isArray(info.outputs));
        assert.equal(
          info.nodeCount,
          Object.values(info.operators).reduce((sum, count) => sum + count, 0),
        );
      }),
    );
  });
});
