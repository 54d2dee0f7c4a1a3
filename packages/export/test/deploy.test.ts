import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ortWeb from 'onnxruntime-web';
import { convertToOnnx, readOnnx, tritonConfig } from '../src/index.js';
import { buildClassic, randomInputs, runOnnx } from './helpers.js';

const model = buildClassic();
const bytes = convertToOnnx(model, { classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });

test('onnxruntime-web (wasm, in Node) gives the outputs onnxruntime-node gives on the classic model', async () => {
  ortWeb.env.wasm.numThreads = 1;
  const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const inputs = randomInputs(model, 7, 99);
  const input = inputs[0]!;
  const web = await session.run({ input: new ortWeb.Tensor('float32', input.data, input.shape) });
  await session.release();
  const node = (await runOnnx(bytes, inputs))[0]!;
  const webValues = web.output!.data as Float32Array;
  assert.equal(webValues.length, 70);
  let max = 0;
  for (let index = 0; index < node.length; index++)
    max = Math.max(max, Math.abs(node[index]! - webValues[index]!));
  assert.ok(max < 1e-5, `max abs diff ${max}`);
});

/** A small reader for the config.pbtxt subset Triton model configs use: `key: value`, `key [ {...} ]`, `key { ... }`. */
function parsePbtxt(text: string): Record<string, unknown> {
  const tokens = text.match(/"[^"]*"|[{}[\]:,]|[^\s{}[\]:,"]+/g) ?? [];
  let position = 0;
  const value = (): unknown => {
    const token = tokens[position++]!;
    if (token === '{') return object('}');
    if (token === '[') {
      const items: unknown[] = [];
      while (tokens[position] !== ']') {
        items.push(value());
        if (tokens[position] === ',') position++;
      }
      position++;
      return items;
    }
    if (token.startsWith('"')) return token.slice(1, -1);
    return /^-?\d+$/.test(token) ? Number(token) : token;
  };
  const object = (end: string | undefined): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    while (position < tokens.length && tokens[position] !== end) {
      const key = tokens[position++]!;
      if (tokens[position] === ':') position++;
      result[key] = value();
    }
    position++;
    return result;
  };
  return object(undefined);
}

test('tritonConfig names, types and dims (without batch) match the ONNX file', () => {
  const config = parsePbtxt(tritonConfig(bytes, 'digits', { maxBatchSize: 128 }));
  const info = readOnnx(bytes);
  assert.equal(config.name, 'digits');
  assert.equal(config.backend, 'onnxruntime');
  assert.equal(config.max_batch_size, 128);
  const inputs = config.input as { name: string; data_type: string; dims: number[] }[];
  const outputs = config.output as { name: string; data_type: string; dims: number[] }[];
  assert.deepEqual(
    inputs.map((entry) => [entry.name, entry.data_type, entry.dims]),
    info.inputs.map((entry) => [entry.name, 'TYPE_FP32', entry.shape.slice(1)]),
  );
  assert.deepEqual(
    outputs.map((entry) => [entry.name, entry.data_type, entry.dims]),
    info.outputs.map((entry) => [entry.name, 'TYPE_FP32', entry.shape.slice(1)]),
  );
  assert.deepEqual(inputs[0]!.dims, [28, 28, 1]);
  assert.deepEqual(outputs[0]!.dims, [10]);
  assert.deepEqual(config.dynamic_batching, { max_queue_delay_microseconds: 100 });
  assert.throws(
    () => tritonConfig(bytes, 'bad name'),
    /Triton model name "bad name" must be one folder name/,
  );
});
