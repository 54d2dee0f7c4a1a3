/**
 * Every preset `@cnnx/train` builds trains on the onnxruntime engine (a model shaped like `best` is compared
 * with tfjs step by step in packages/export/test/training-graph.test.ts).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadDataset } from '@cnnx/data';
import { buildTrainingGraph, checkTrainable, readTrainingState } from '@cnnx/export';
import { TrainingSession } from '@cnnx/runtime';
import { buildModel, PRESET_NAMES } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';

let batch: { images: Float32Array; labels: Int32Array; count: number };

before(async () => {
  await tf.setBackend('cpu');
  const dataset = await loadDataset('mnist-sample');
  // Spread over the classes: the embedded digits are stored class by class.
  const picked = Array.from({ length: 32 }, (_, index) => (index * 617) % 10_000);
  const images = new Float32Array(picked.length * 784);
  picked.forEach((source, row) => {
    for (let pixel = 0; pixel < 784; pixel++)
      images[row * 784 + pixel] = dataset.images[source * 784 + pixel]! / 255;
  });
  batch = {
    images,
    labels: Int32Array.from(picked, (source) => dataset.labels[source]!),
    count: picked.length,
  };
});

describe('the presets on the onnxruntime engine', () => {
  for (const preset of PRESET_NAMES) {
    test(`${preset}: trainable, and three Adam steps on the session give finite, falling losses`, async () => {
      const model = buildModel(preset, { inputShape: [28, 28, 1], numClasses: 10, seed: 5 });
      assert.deepEqual(checkTrainable(model), { trainable: true });
      const graph = buildTrainingGraph(model, { optimizer: 'adam', labelSmoothing: 0.1 });
      const session = await TrainingSession.open(graph, readTrainingState(model, graph), { threads: 1 });
      try {
        const losses: number[] = [];
        for (let step = 0; step < 3; step++) {
          losses.push((await session.step(batch, { learningRate: 0.002, seed: step })).loss);
        }
        assert.ok(losses.every(Number.isFinite), losses.join(', '));
        assert.ok(losses[2]! < losses[0]!, `the loss falls on one batch: ${losses.join(', ')}`);
      } finally {
        await session.release();
      }
      model.dispose();
    });
  }
});
