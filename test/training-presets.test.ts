/**
 * Every preset `@cnnx/train` builds trains on the onnxruntime engine, and `best` (a residual Add, dropout,
 * batch norm on a Dense without bias, label smoothing, Adam) takes the same step as tfjs's cpu backend
 * given the same dropout masks.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadDataset } from '@cnnx/data';
import { buildTrainingGraph, checkTrainable, readTrainingState } from '@cnnx/export';
import { TrainingSession } from '@cnnx/runtime';
import { buildModel, PRESET_NAMES } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';
import {
  assertStepsAgree,
  type Batch,
  runGraphStep,
  tfjsStep,
} from '../packages/export/test/training-helpers.js';

let batch: Batch;

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
          losses.push((await session.step(batch as never, { learningRate: 0.002, seed: step })).loss);
        }
        assert.ok(losses.every(Number.isFinite), losses.join(', '));
        assert.ok(losses[2]! < losses[0]!, `the loss falls on one batch: ${losses.join(', ')}`);
      } finally {
        await session.release();
      }
      model.dispose();
    });
  }

  // SGD, so that the updated weights are the gradients' image: Adam's first step, w − lr·g/(|g| + ε), turns
  // float32 noise on near-zero gradient entries into visible differences (the optimizer cases of
  // packages/export/test/training-step.test.ts check Adam itself).
  test('best: one step matches tfjs given the same dropout masks (loss, gradients, weights, statistics)', async () => {
    const model = buildModel('best', { inputShape: [28, 28, 1], numClasses: 10, seed: 5 });
    const graph = buildTrainingGraph(model, { optimizer: 'sgd', labelSmoothing: 0.1, debugOutputs: true });
    const eight = {
      images: batch.images.subarray(0, 8 * 784),
      labels: (batch.labels as Int32Array).subarray(0, 8),
      count: 8,
    };
    const ours = await runGraphStep(graph, readTrainingState(model, graph), eight, {
      learningRate: 0.1,
      seed: 9,
    });
    assert.equal(ours.masks.size, 2);
    const theirs = await tfjsStep(model, tf.train.sgd(0.1), eight, {
      labelSmoothing: 0.1,
      masks: ours.masks,
    });
    assertStepsAgree(graph, ours, theirs);
  });
});
