import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DynamicBatcher, type RunBatch } from '../src/server/batcher.js';

/** A model whose runs end when the test says: each run's item count, and a way to end the oldest one. */
function controlledModel() {
  const runs: { count: number; firstValue: number; end: () => void }[] = [];
  const run: RunBatch = (inputs, count) =>
    new Promise((resolve) => {
      const values = inputs[0] as Float32Array;
      // the output of each item is its input's first value times ten: callers can check their own slice
      const outputs = Float32Array.from({ length: count }, (_, item) => (values[item] as number) * 10);
      runs.push({ count, firstValue: values[0] as number, end: () => resolve([outputs]) });
    });
  const endOldest = () => {
    const oldest = runs.find((entry) => !('ended' in entry));
    assert.ok(oldest, 'a run to end');
    Object.assign(oldest, { ended: true });
    oldest.end();
  };
  const ended = () => runs.filter((entry) => 'ended' in entry).length;
  return { run, runs, endOldest, ended };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const item = (value: number) => [Float32Array.of(value)];

describe('DynamicBatcher', () => {
  test('requests that arrive during a run start the moment it ends, without waiting out maxDelayMs', async () => {
    const model = controlledModel();
    const batcher = new DynamicBatcher(model.run, { maxBatch: 2, maxDelayMs: 60_000, maxQueue: 16 });
    const first = [batcher.submit(item(1), 1), batcher.submit(item(2), 1)]; // full: starts at once
    await tick();
    assert.deepEqual(
      model.runs.map((r) => r.count),
      [2],
    );
    const late = batcher.submit(item(3), 1); // one item: smaller than the running batch, so it waits
    await tick();
    assert.equal(model.runs.length, 1, 'a batch smaller than the running one is not handed over early');
    model.endOldest();
    const results = await Promise.all(first);
    assert.deepEqual(
      results.map((r) => Array.from(r.outputs[0] as Float32Array)),
      [[10], [20]],
    );
    assert.deepEqual(
      model.runs.map((r) => r.count),
      [2, 1],
      'the late request ran as soon as the first run ended',
    );
    model.endOldest();
    assert.deepEqual(Array.from((await late).outputs[0] as Float32Array), [30]);
  });

  test('a batch as large as the running one is handed over beside it, and never a third', async () => {
    const model = controlledModel();
    const batcher = new DynamicBatcher(model.run, { maxBatch: 8, maxDelayMs: 0, maxQueue: 64 });
    const submitted = [batcher.submit(item(1), 1), batcher.submit(item(2), 1)];
    await tick();
    await tick();
    assert.deepEqual(
      model.runs.map((r) => r.count),
      [2],
    );
    submitted.push(batcher.submit(item(3), 1));
    await tick();
    assert.equal(model.runs.length, 1, 'one item is fewer than the two running');
    submitted.push(batcher.submit(item(4), 1));
    await tick();
    assert.deepEqual(
      model.runs.map((r) => r.count),
      [2, 2],
      'the second batch waits beside the first',
    );
    for (let value = 5; value <= 9; value++) submitted.push(batcher.submit(item(value), 1));
    await tick();
    assert.equal(model.runs.length, 2, 'no third run while two are handed over');
    assert.equal(batcher.depth, 5);
    model.endOldest();
    await tick();
    assert.deepEqual(
      model.runs.map((r) => r.count),
      [2, 2, 5],
      'when one ends, the five waiting go beside the other',
    );
    model.endOldest();
    model.endOldest();
    const outputs = await Promise.all(submitted);
    assert.deepEqual(
      outputs.map((r) => (r.outputs[0] as Float32Array)[0]),
      [10, 20, 30, 40, 50, 60, 70, 80, 90],
      'every caller got its own item back',
    );
    assert.deepEqual(
      model.runs.map((r) => r.firstValue),
      [1, 3, 5],
    );
  });

  test('an idle model waits maxDelayMs for company before a batch that is not full', async () => {
    const model = controlledModel();
    const batcher = new DynamicBatcher(model.run, { maxBatch: 8, maxDelayMs: 40, maxQueue: 64 });
    const submitted = [batcher.submit(item(1), 1)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    submitted.push(batcher.submit(item(2), 1));
    assert.equal(model.runs.length, 0, 'nothing runs before the delay');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(
      model.runs.map((r) => r.count),
      [2],
    );
    model.endOldest();
    const [first] = await Promise.all(submitted);
    assert.ok((first as { queueSeconds: number }).queueSeconds >= 0.035, 'the first waited about the delay');
  });
});
