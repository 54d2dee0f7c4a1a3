import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createRandom } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import { useWasmTrainingBackend } from '../src/kernels/wasm-setup.js';
import { FusedAdamOptimizer } from '../src/training/fused-adam.js';

const SHAPES = [[3, 3, 2, 5], [5], [7, 4], [1]];
const STEPS = 6;

/** Initial weights and the gradients of every step, the same for each optimizer under test. */
function problem(seed: number): { initial: Float32Array[]; gradients: Float32Array[][] } {
  const random = createRandom(seed).next;
  const fill = (shape: number[], scale: number) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * scale);
  return {
    initial: SHAPES.map((shape) => fill(shape, 1)),
    // Gradients over several orders of magnitude, as in a real net.
    gradients: Array.from({ length: STEPS }, (_, step) =>
      SHAPES.map((shape) => fill(shape, 10 ** (1 - step))),
    ),
  };
}

let runs = 0;

/**
 * Applies `steps` of `gradients` (from `from` on) with `optimizer` to fresh variables holding
 * `initial`, alternating the array and map forms of `applyGradients`; returns the final weights.
 */
function train(
  optimizer: tf.Optimizer,
  initial: Float32Array[],
  gradients: Float32Array[][],
  from = 0,
  to = STEPS,
): Float32Array[] {
  runs += 1;
  const variables = initial.map((values, index) =>
    tf.variable(tf.tensor(values, SHAPES[index]), true, `fused-adam-test-${runs}/w${index}`),
  );
  for (let step = from; step < to; step++) {
    tf.tidy(() => {
      const named = variables.map((variable, index) => ({
        name: variable.name,
        tensor: tf.tensor(gradients[step]![index]!, SHAPES[index]),
      }));
      optimizer.applyGradients(
        step % 2 === 0 ? named : Object.fromEntries(named.map(({ name, tensor }) => [name, tensor])),
      );
    });
  }
  const weights = variables.map((variable) => variable.dataSync() as Float32Array);
  tf.dispose(variables);
  return weights;
}

function assertSameWeights(actual: Float32Array[], expected: Float32Array[], what: string): void {
  expected.forEach((values, variable) => {
    values.forEach((want, index) => {
      const got = actual[variable]![index]!;
      if (!(Math.abs(got - want) <= 1e-6 * Math.max(Math.abs(want), 1e-3))) {
        assert.fail(`${what}: variable ${variable} element ${index} is ${got}, stock Adam gives ${want}`);
      }
    });
  });
}

before(async () => {
  await useWasmTrainingBackend();
});

describe('FusedAdamOptimizer', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    test(`gives stock tf.train.adam's weights over ${STEPS} steps on ${backend}`, async () => {
      await tf.setBackend(backend);
      const { initial, gradients } = problem(1);
      const stock = tf.train.adam(0.01);
      const fused = new FusedAdamOptimizer(0.01);
      assertSameWeights(train(fused, initial, gradients), train(stock, initial, gradients), backend);
      assert.equal(fused.iterations, STEPS);
      stock.dispose();
      fused.dispose();
    });
  }

  test('runs one fused kernel per variable on wasm instead of the elementwise ones', async () => {
    await tf.setBackend('wasm');
    const { initial, gradients } = problem(2);
    const fused = new FusedAdamOptimizer(0.01);
    const profile = await tf.profile(() => {
      train(fused, initial, gradients, 0, 1);
    });
    const names = profile.kernels.map((kernel) => kernel.name);
    assert.equal(names.filter((name) => name === 'CnnxAdamUpdate').length, SHAPES.length);
    for (const stockOnly of ['Sqrt', 'Square', 'RealDiv']) assert.ok(!names.includes(stockOnly), stockOnly);
    fused.dispose();
  });

  test('a learning rate changed between steps is used by the next step', async () => {
    await tf.setBackend('wasm');
    const { initial, gradients } = problem(3);
    const run = (optimizer: tf.AdamOptimizer) => {
      const first = train(optimizer, initial, gradients, 0, 2);
      (optimizer as unknown as { learningRate: number }).learningRate = 0.001;
      return train(optimizer, first, gradients, 2);
    };
    const stock = tf.train.adam(0.05);
    const fused = new FusedAdamOptimizer(0.05);
    assertSameWeights(run(fused), run(stock), 'after a rate change');
    stock.dispose();
    fused.dispose();
  });

  test("its weights are stock Adam's: saved mid-run, either optimizer resumes to the same result", async () => {
    await tf.setBackend('wasm');
    const { initial, gradients } = problem(4);
    const reference = tf.train.adam(0.01);
    const expected = train(reference, initial, gradients);

    const fused = new FusedAdamOptimizer(0.01);
    const halfway = train(fused, initial, gradients, 0, 3);
    const names = (await fused.getWeights()).map(({ name }) => name);
    const stockNames = (await reference.getWeights()).map(({ name }) => name);
    assert.equal(names[0], 'iter');
    assert.deepEqual(
      names.map((name) => name.replace(/^fused-adam-test-\d+\//, '')),
      stockNames.map((name) => name.replace(/^fused-adam-test-\d+\//, '')),
    );
    // Copies, as a checkpoint holds them: they outlive the optimizer that made them.
    const saved = (await fused.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));

    for (const resumed of [new FusedAdamOptimizer(0.01), tf.train.adam(0.01)]) {
      await resumed.setWeights(saved.map(({ name, tensor }) => ({ name, tensor: tensor.clone() })));
      assert.equal(resumed.iterations, 3);
      assertSameWeights(train(resumed, halfway, gradients, 3), expected, resumed.constructor.name);
      resumed.dispose();
    }
    tf.dispose(saved.map(({ tensor }) => tensor));
    reference.dispose();
    fused.dispose();
  });

  test('the same inputs give the same bits twice', async () => {
    await tf.setBackend('wasm');
    const { initial, gradients } = problem(5);
    const first = new FusedAdamOptimizer(0.01);
    const second = new FusedAdamOptimizer(0.01);
    assert.deepEqual(train(first, initial, gradients), train(second, initial, gradients));
    first.dispose();
    second.dispose();
  });
});
