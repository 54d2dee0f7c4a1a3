/**
 * The server's pure parts without sockets: the fast request reader against `JSON.parse`, and the batcher.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom } from '@cnnx/data';
import { NumberList, parseRequestJson } from '../src/server/fast-json.js';
import { DynamicBatcher, type RunBatch } from '../src/server/index.js';

describe('fast request reader', () => {
  test('reads data arrays to the same float32 values as JSON.parse, over many number forms', () => {
    const next = createRandom(7).next;
    const forms = [
      () => next(),
      () => Math.fround(next()),
      () => Math.round(next() * 255),
      () => Number(next().toFixed(3)),
      () => -next() * 1e-7,
      () => (next() - 0.5) * 1e12,
      () => 0,
      () => -Number(next().toFixed(4)),
      () => Number(((next() - 0.5) * 2000).toFixed(2)),
    ];
    let fast = 0;
    for (let round = 0; round < 700; round++) {
      const form = forms[round % forms.length] as () => number;
      const data = Array.from({ length: 64 }, form);
      let text = JSON.stringify({
        id: 'r',
        inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data }],
      });
      if (round % 3 === 0) text = text.replaceAll(',', ' ,\n ');
      if (round % 4 === 0) text = text.replaceAll('e-', 'E-');
      const parsed = parseRequestJson(Buffer.from(text), Buffer.byteLength(text)) as
        | { inputs: { data: NumberList }[] }
        | undefined;
      const expected = (JSON.parse(text) as { inputs: { data: number[] }[] }).inputs[0]?.data as number[];
      if (parsed === undefined) continue;
      fast++;
      const list = parsed.inputs[0]?.data as NumberList;
      assert.ok(list instanceof NumberList);
      assert.equal(list.length, expected.length);
      for (let i = 0; i < expected.length; i++) {
        assert.equal(
          Math.fround(list.values[i] as number),
          Math.fround(expected[i] as number),
          `round ${round}, ${i}`,
        );
      }
    }
    // Integers and short decimals take the fast path; 16-17 digit numbers go to JSON.parse.
    assert.ok(fast >= 350, `${fast} of 700 requests took the fast path`);
  });

  test('flattens nested data and leaves everything else to JSON.parse', () => {
    const read = (text: string) => parseRequestJson(Buffer.from(text), Buffer.byteLength(text));
    const nested = read('{"data": [[1, 2], [3, [4]]], "name": "x"}') as { data: NumberList; name: string };
    assert.deepEqual(Array.from(nested.data.values), [1, 2, 3, 4]);
    assert.equal(nested.name, 'x');
    const signed = read('{"data": [-0, -1.25, 0.5, 10, 0.000123]}') as { data: NumberList };
    assert.deepEqual(Array.from(signed.data.values.subarray(0, 5)), [-0, -1.25, 0.5, 10, 0.000123]);
    assert.ok(Object.is(signed.data.values[0], -0), '-0 stays negative zero, as JSON.parse reads it');
    // more numbers than the reader's first buffer holds, then a short list read after it
    const long = Array.from({ length: 3000 }, (_, i) => i / 4);
    const big = read(JSON.stringify({ data: long, more: { data: [7, 8] } })) as {
      data: NumberList;
      more: { data: NumberList };
    };
    assert.deepEqual(Array.from(big.data.values), long);
    assert.deepEqual(Array.from(big.more.data.values), [7, 8]);
    assert.deepEqual(
      Array.from(signed.data.values.subarray(0, 2)),
      [-0, -1.25],
      'earlier lists keep their values',
    );
    for (const text of [
      '{"data": [1, 2]',
      '{"data": [1,, 2]}',
      '{"data": [01]}',
      '{"data": [1.]}',
      '{"data": [.5]}',
      '{"data": [-]}',
      '{"data": [1.5.2]}',
      '{"data": [null]}',
      '{"data": ["1"]}',
      '{"id": "a\\"b", "data": [1]}',
      '{"__proto__": {"polluted": true}}',
      '{"data": [1e999]}',
      '{"data": [1]} trailing',
    ]) {
      assert.equal(read(text), undefined, text);
    }
  });
});

/** A model whose runs end when the test says: each run's item count, and a way to end the oldest one. */
function controlledModel() {
  const runs: { count: number; firstValue: number; ended: boolean; end: () => void }[] = [];
  const run: RunBatch = (inputs, count) =>
    new Promise((resolve) => {
      const values = inputs[0] as Float32Array;
      // the output of each item is its input's first value times ten: callers can check their own slice
      const outputs = Float32Array.from({ length: count }, (_, item) => (values[item] as number) * 10);
      runs.push({ count, firstValue: values[0] as number, ended: false, end: () => resolve([outputs]) });
    });
  const endOldest = () => {
    const oldest = runs.find((entry) => !entry.ended);
    assert.ok(oldest, 'a run to end');
    oldest.ended = true;
    oldest.end();
  };
  return { run, runs, endOldest };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const item = (value: number) => [Float32Array.of(value)];

describe('dynamic batcher', () => {
  const echo = async (inputs: Float32Array[]) => [(inputs[0] as Float32Array).map((value) => value * 2)];

  test('gathers requests arriving within max-delay into one run and gives each its own slice', async () => {
    const runs: number[] = [];
    const batcher = new DynamicBatcher(
      async (inputs, count) => {
        runs.push(count);
        return echo(inputs);
      },
      { maxBatch: 8, maxDelayMs: 20, maxQueue: 100 },
    );
    const results = await Promise.all(
      [1, 2, 3].map((value) => batcher.submit([new Float32Array([value, value])], 1)),
    );
    assert.deepEqual(runs, [3]);
    assert.deepEqual(
      results.map((result) => Array.from(result.outputs[0] as Float32Array)),
      [
        [2, 2],
        [4, 4],
        [6, 6],
      ],
    );
  });

  test('runs at once when max-batch items wait, and never exceeds it', async () => {
    const runs: number[] = [];
    const batcher = new DynamicBatcher(
      async (inputs, count) => {
        runs.push(count);
        return echo(inputs);
      },
      { maxBatch: 4, maxDelayMs: 10_000, maxQueue: 100 },
    );
    const started = performance.now();
    await Promise.all(Array.from({ length: 8 }, () => batcher.submit([new Float32Array(3)], 1)));
    assert.ok(performance.now() - started < 5000, 'did not wait for max-delay');
    assert.deepEqual(runs, [4, 4]);
  });

  test('a full queue and a failed run are errors with a status, not crashes', async () => {
    const batcher = new DynamicBatcher(
      async () => {
        throw new Error('kernel exploded');
      },
      { maxBatch: 64, maxDelayMs: 5, maxQueue: 1 },
    );
    const first = batcher.submit([new Float32Array(1)], 1);
    await assert.rejects(batcher.submit([new Float32Array(1)], 1), {
      statusCode: 503,
      message: /overloaded/,
    });
    await assert.rejects(first, { statusCode: 500, message: /inference failed: kernel exploded/ });
    assert.throws(() => new DynamicBatcher(echo, { maxBatch: 0, maxDelayMs: 1, maxQueue: 1 }), RangeError);
  });

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
});
