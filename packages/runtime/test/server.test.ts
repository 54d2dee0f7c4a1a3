/**
 * The server against a client written only from the Open Inference Protocol v2 and Triton's binary tensor
 * and classification extensions (plain `fetch`; no server code), on a real 127.0.0.1 socket with a real
 * onnxruntime session of a model exported by `@cnnx/export`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Classifier } from '../src/index.js';
import { type CnnxServer, createServer } from '../src/server/index.js';
import { CLASS_NAMES, makeDigitPngs, makeModel } from './server-fixtures.js';

let directory: string;
let classifier: Classifier;
let server: CnnxServer;
let url: string;
let digits: { path: string; bytes: Buffer }[];
/** Raw 0-255 pixels of the digits as `prepareDigit` makes them (what cnnx predict feeds the model). */
let pixels: Uint8Array;

const MAX_BODY = 256 * 1024;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cnnx-server-test-'));
  const modelFile = await makeModel(directory);
  digits = await makeDigitPngs(directory, 4);
  classifier = await Classifier.load(modelFile, { device: 'cpu', threads: 1 });
  const { prepareDigit } = await import('@cnnx/data');
  pixels = new Uint8Array(digits.length * 784);
  for (const [index, digit] of digits.entries())
    pixels.set((await prepareDigit(digit.path)).pixels, index * 784);
  server = createServer({
    model: classifier,
    name: 'mnist',
    maxBodyBytes: MAX_BODY,
    maxImagePixels: 1000 * 1000,
  });
  url = await server.listen({ port: 0 });
});

after(async () => {
  await server?.shutdown({ timeoutMs: 2000 });
  await classifier?.release();
  await rm(directory, { recursive: true, force: true });
});

// ---- a protocol client, from the spec --------------------------------------------------------------

async function call(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown[];
  parameters?: { binary_data_size?: number };
}

/** Triton binary request: JSON header, then the tensors' raw bytes; the response split the same way. */
async function postBinary(header: unknown, tensors: Uint8Array[]) {
  const json = Buffer.from(JSON.stringify(header));
  const response = await fetch(`${url}/v2/models/mnist/infer`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(json.length),
    },
    body: Buffer.concat([json, ...tensors]),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const headerLength = Number(response.headers.get('inference-header-content-length') ?? bytes.length);
  const body = JSON.parse(bytes.toString('utf8', 0, headerLength)) as { outputs: OutputTensor[] };
  return { status: response.status, body, binary: bytes.subarray(headerLength), response };
}

function floatBytes(values: Float32Array): Uint8Array {
  const bytes = Buffer.alloc(values.length * 4);
  for (const [index, value] of values.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes;
}

function readFloats(bytes: Uint8Array): number[] {
  const view = Buffer.from(bytes);
  return Array.from({ length: bytes.length / 4 }, (_, index) => view.readFloatLE(index * 4));
}

function argmax(values: ArrayLike<number>, start: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++)
    if ((values[start + i] as number) > (values[start + best] as number)) best = i;
  return best;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs((actual[i] as number) - (expected[i] as number)) <= tolerance,
      `value ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

function unitFloats(count: number): Float32Array {
  return Float32Array.from(pixels.subarray(0, count * 784), (value) => value / 255);
}

async function isServing(): Promise<void> {
  const { status, body } = await postJson('/v2/models/mnist/infer', {
    inputs: [
      { name: 'input', shape: [1, 28, 28, 1], datatype: 'UINT8', data: Array.from(pixels.subarray(0, 784)) },
    ],
  });
  assert.equal(status, 200, JSON.stringify(body));
}

// ---- endpoints -------------------------------------------------------------------------------------

describe('health and metadata', () => {
  test('liveness, readiness, server metadata', async () => {
    assert.deepEqual(await call('/v2/health/live'), { status: 200, body: { live: true } });
    assert.deepEqual(await call('/v2/health/ready'), { status: 200, body: { ready: true } });
    const { status, body } = await call('/v2');
    assert.equal(status, 200);
    assert.equal(body.name, 'cnnx');
    assert.equal(typeof body.version, 'string');
    assert.ok((body.extensions as string[]).includes('binary_tensor_data'));
    assert.ok((body.extensions as string[]).includes('classification'));
  });

  test('model metadata and readiness, with the batch as -1', async () => {
    const { status, body } = await call('/v2/models/mnist');
    assert.equal(status, 200);
    assert.equal(body.name, 'mnist');
    assert.equal(body.platform, 'onnxruntime_onnx');
    assert.deepEqual(body.versions, ['1']);
    const info = classifier.info;
    assert.deepEqual(body.inputs, [{ name: info.inputs[0]?.name, datatype: 'FP32', shape: [-1, 28, 28, 1] }]);
    assert.deepEqual(body.outputs, [{ name: info.outputs[0]?.name, datatype: 'FP32', shape: [-1, 10] }]);
    assert.deepEqual(await call('/v2/models/mnist/ready'), {
      status: 200,
      body: { name: 'mnist', ready: true },
    });
    assert.equal((await call('/v2/models/mnist/versions/1')).status, 200);
  });

  test('an unknown model is 404 on every model route', async () => {
    for (const [path, init] of [
      ['/v2/models/cifar', undefined],
      ['/v2/models/cifar/ready', undefined],
      [
        '/v2/models/cifar/infer',
        { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
      ],
      ['/v2/models/mnist/versions/7', undefined],
    ] as const) {
      const { status, body } = await call(path, init);
      assert.equal(status, 404, path);
      assert.match(body.error as string, /unknown (model 'cifar'|version '7')/);
    }
  });

  test('no route loads a model or reads a path', async () => {
    for (const path of [
      '/v2/repository/index',
      '/v2/repository/models/mnist/load',
      '/v2/models/..%2F..%2Fetc%2Fpasswd',
    ]) {
      const { status } = await call(path, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(status, 404, path);
    }
  });
});

describe('JSON inference', () => {
  const inputName = () => classifier.info.inputs[0]?.name as string;
  const outputName = () => classifier.info.outputs[0]?.name as string;

  test('FP32 flat data gives the Classifier probabilities, with the id echoed', async () => {
    const expected = await classifier.probabilities(pixels.subarray(0, 784), 1);
    const { status, body } = await postJson('/v2/models/mnist/infer', {
      id: 'request-42',
      inputs: [
        { name: inputName(), shape: [1, 28, 28, 1], datatype: 'FP32', data: Array.from(unitFloats(1)) },
      ],
    });
    assert.equal(status, 200);
    assert.equal(body.id, 'request-42');
    assert.equal(body.model_name, 'mnist');
    const [output] = body.outputs as OutputTensor[];
    assert.equal(output?.name, outputName());
    assert.equal(output?.datatype, 'FP32');
    assert.deepEqual(output?.shape, [1, 10]);
    assertClose(output?.data as number[], expected);
  });

  test('nested data equals flat data; the batch comes from the shape', async () => {
    const floats = unitFloats(2);
    const nested = [0, 1].map((image) =>
      Array.from({ length: 28 }, (_, row) =>
        Array.from({ length: 28 }, (_, column) => [floats[image * 784 + row * 28 + column] as number]),
      ),
    );
    const request = (data: unknown) =>
      postJson('/v2/models/mnist/infer', {
        inputs: [{ name: inputName(), shape: [2, 28, 28, 1], datatype: 'FP32', data }],
      });
    const flat = await request(Array.from(floats));
    const deep = await request(nested);
    assert.equal(deep.status, 200);
    assert.deepEqual((deep.body.outputs as OutputTensor[])[0]?.shape, [2, 10]);
    assert.deepEqual(deep.body.outputs, flat.body.outputs);
  });

  test('UINT8 raw pixels are scaled as the model metadata says, for a batch of 4', async () => {
    const expected = await classifier.probabilities(pixels, 4);
    const { status, body } = await postJson('/v2/models/mnist/infer', {
      inputs: [{ name: inputName(), shape: [4, 28, 28, 1], datatype: 'UINT8', data: Array.from(pixels) }],
      outputs: [{ name: outputName() }],
    });
    assert.equal(status, 200);
    assertClose((body.outputs as OutputTensor[])[0]?.data as number[], expected);
  });

  test('classification extension: top-k "<prob>:<index>:<label>" strings per item', async () => {
    const expected = await classifier.probabilities(pixels, 4);
    const { status, body } = await postJson('/v2/models/mnist/infer', {
      inputs: [{ name: inputName(), shape: [4, 28, 28, 1], datatype: 'UINT8', data: Array.from(pixels) }],
      outputs: [{ name: outputName(), parameters: { classification: 3 } }],
    });
    assert.equal(status, 200);
    const [output] = body.outputs as OutputTensor[];
    assert.equal(output?.datatype, 'BYTES');
    assert.deepEqual(output?.shape, [4, 3]);
    const strings = output?.data as string[];
    for (let image = 0; image < 4; image++) {
      const best = argmax(expected, image * 10, 10);
      const [probability, index, label] = (strings[image * 3] as string).split(':');
      assert.equal(Number(index), best);
      assert.equal(label, CLASS_NAMES[best]);
      assert.ok(Math.abs(Number(probability) - (expected[image * 10 + best] as number)) < 1e-5);
      const ranked = strings.slice(image * 3, image * 3 + 3).map((text) => Number(text.split(':')[0]));
      assert.deepEqual(
        ranked,
        [...ranked].sort((a, b) => b - a),
      );
    }
  });
});

describe('binary tensor extension', () => {
  const inputName = () => classifier.info.inputs[0]?.name as string;
  const outputName = () => classifier.info.outputs[0]?.name as string;

  test('FP32 binary input, binary output', async () => {
    const expected = await classifier.probabilities(pixels.subarray(0, 2 * 784), 2);
    const input = floatBytes(unitFloats(2));
    const { status, body, binary, response } = await postBinary(
      {
        inputs: [
          {
            name: inputName(),
            shape: [2, 28, 28, 1],
            datatype: 'FP32',
            parameters: { binary_data_size: input.length },
          },
        ],
        outputs: [{ name: outputName(), parameters: { binary_data: true } }],
      },
      [input],
    );
    assert.equal(status, 200);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    const [output] = body.outputs;
    assert.equal(output?.data, undefined);
    assert.equal(output?.parameters?.binary_data_size, 2 * 10 * 4);
    assert.equal(binary.length, 80);
    assertClose(readFloats(binary), expected);
  });

  test('UINT8 binary input, JSON output; binary classification strings', async () => {
    const expected = await classifier.probabilities(pixels, 4);
    const plain = await postBinary(
      {
        inputs: [
          {
            name: inputName(),
            shape: [4, 28, 28, 1],
            datatype: 'UINT8',
            parameters: { binary_data_size: pixels.length },
          },
        ],
      },
      [pixels],
    );
    assert.equal(plain.status, 200);
    assert.equal(plain.response.headers.get('inference-header-content-length'), null);
    assertClose(plain.body.outputs[0]?.data as number[], expected);

    const classified = await postBinary(
      {
        inputs: [
          {
            name: inputName(),
            shape: [4, 28, 28, 1],
            datatype: 'UINT8',
            parameters: { binary_data_size: pixels.length },
          },
        ],
        outputs: [{ name: outputName(), parameters: { classification: 1, binary_data: true } }],
      },
      [pixels],
    );
    assert.equal(classified.status, 200);
    const strings: string[] = [];
    for (let offset = 0; offset < classified.binary.length; ) {
      const length = classified.binary.readUInt32LE(offset);
      strings.push(classified.binary.toString('utf8', offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    assert.equal(classified.body.outputs[0]?.parameters?.binary_data_size, classified.binary.length);
    assert.deepEqual(
      strings.map((text) => Number(text.split(':')[1])),
      [0, 1, 2, 3].map((image) => argmax(expected, image * 10, 10)),
    );
  });

  test('a binary size that does not match the shape is a 400', async () => {
    const { status, body } = await postBinary(
      {
        inputs: [
          {
            name: inputName(),
            shape: [1, 28, 28, 1],
            datatype: 'FP32',
            parameters: { binary_data_size: 100 },
          },
        ],
      },
      [new Uint8Array(100)],
    );
    assert.equal(status, 400);
    assert.match(
      (body as unknown as { error: string }).error,
      /inputs\[0\]\.parameters\.binary_data_size 100/,
    );
  });
});

describe('image classification', () => {
  test('a PNG body gets the same classes as Classifier.classify (cnnx predict) on the same file', async () => {
    for (const digit of digits) {
      const [expected] = await classifier.classify(digit.path, { topK: 3 });
      const response = await fetch(`${url}/v2/models/mnist/classify`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(digit.bytes),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as {
        results: { index: number; label: string; top: { index: number; probability: number }[] }[];
      };
      assert.equal(body.results.length, 1);
      assert.equal(body.results[0]?.index, expected?.index);
      assert.equal(body.results[0]?.label, expected?.label);
      assert.deepEqual(
        body.results[0]?.top.map((entry) => entry.index),
        expected?.top.map((entry) => entry.index),
      );
    }
  });

  test('a multipart form with several files gets one answer per file, top-k from ?top=', async () => {
    const expected = await classifier.classify(
      digits.map((digit) => digit.path),
      { topK: 2 },
    );
    const form = new FormData();
    for (const digit of digits)
      form.append(
        'images',
        new Blob([new Uint8Array(digit.bytes)], { type: 'image/png' }),
        digit.path.split('/').pop(),
      );
    const response = await fetch(`${url}/v2/models/mnist/classify?top=2`, { method: 'POST', body: form });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { results: { file: string; index: number; top: unknown[] }[] };
    assert.deepEqual(
      body.results.map((result) => [result.file, result.index, result.top.length]),
      digits.map((digit, index) => [digit.path.split('/').pop(), expected[index]?.index, 2]),
    );
  });
});

describe('bad input: the right status, a one-line error, and the server keeps serving', () => {
  const input = (overrides: Record<string, unknown>) => ({
    inputs: [
      {
        name: classifier.info.inputs[0]?.name,
        shape: [1, 28, 28, 1],
        datatype: 'FP32',
        data: new Array(784).fill(0),
        ...overrides,
      },
    ],
  });
  const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp][] =
    [
      [
        'malformed JSON',
        () => postJson('/v2/models/mnist/infer', '{"inputs": [{"name": '),
        400,
        /not valid JSON/,
      ],
      ['empty body', () => postJson('/v2/models/mnist/infer', ''), 400, /empty/],
      ['no inputs', () => postJson('/v2/models/mnist/infer', { outputs: [] }), 400, /"inputs"/],
      [
        'wrong datatype',
        () => postJson('/v2/models/mnist/infer', input({ datatype: 'INT64' })),
        400,
        /inputs\[0\]\.datatype "INT64"/,
      ],
      [
        'shape and data length differ',
        () => postJson('/v2/models/mnist/infer', input({ shape: [2, 28, 28, 1] })),
        400,
        /inputs\[0\]\.data has 784 values but shape \[2,28,28,1\] needs 1568/,
      ],
      [
        'wrong shape',
        () => postJson('/v2/models/mnist/infer', input({ shape: [1, 784] })),
        400,
        /inputs\[0\]\.shape \[1,784\]/,
      ],
      [
        'a string in data',
        () => postJson('/v2/models/mnist/infer', input({ data: ['a', ...new Array(783).fill(0)] })),
        400,
        /inputs\[0\]\.data\[0\]/,
      ],
      [
        'UINT8 out of range',
        () =>
          postJson(
            '/v2/models/mnist/infer',
            input({ datatype: 'UINT8', data: [300, ...new Array(783).fill(0)] }),
          ),
        400,
        /0-255/,
      ],
      [
        'missing input',
        () => postJson('/v2/models/mnist/infer', input({ name: 'pixels' })),
        400,
        /inputs\[0\]\.name "pixels"/,
      ],
      [
        'unknown output',
        () => postJson('/v2/models/mnist/infer', { ...input({}), outputs: [{ name: 'logits' }] }),
        400,
        /outputs\[0\]\.name "logits"/,
      ],
      ['unknown model', () => postJson('/v2/models/cifar/infer', input({})), 404, /unknown model 'cifar'/],
      [
        'oversized body',
        () => postJson('/v2/models/mnist/infer', input({ data: new Array(MAX_BODY).fill(0.5) })),
        413,
        /larger than the limit of 262144 bytes/,
      ],
      [
        'a text upload',
        () =>
          call('/v2/models/mnist/classify', {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body: 'seven',
          }),
        415,
        /content-type 'text\/plain'/,
      ],
      [
        'text bytes labelled as PNG',
        () =>
          call('/v2/models/mnist/classify', {
            method: 'POST',
            headers: { 'content-type': 'image/png' },
            body: 'not a png at all',
          }),
        400,
        /not a PNG, JPEG or WebP image/,
      ],
    ];
  for (const [name, send, status, message] of cases) {
    test(name, async () => {
      const response = await send();
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.deepEqual(Object.keys(response.body), ['error']);
      const error = response.body.error as string;
      assert.match(error, message);
      assert.ok(!error.includes('\n'), 'one line');
      await isServing();
    });
  }

  test('a decompression bomb is refused from its header, not decoded', async () => {
    const sharp = (await import('sharp')).default;
    const bomb = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#ffffff' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    assert.ok(bomb.length < MAX_BODY, `${bomb.length}-byte bomb fits the body limit`);
    const before = process.memoryUsage().rss;
    const { status, body } = await call('/v2/models/mnist/classify', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: bomb,
    });
    assert.equal(status, 413);
    assert.match(body.error as string, /4000×4000 = 16000000 pixels, over the limit of 1000000/);
    assert.ok(process.memoryUsage().rss - before < 32 * 1024 * 1024, '16 M pixels were not decoded');
    await isServing();
  });
});

describe('batching, overload, timeouts, tokens, metrics', () => {
  async function withServer<T>(
    options: Parameters<typeof createServer>[0] extends infer O ? Omit<O, 'model'> : never,
    body: (base: string) => Promise<T>,
  ): Promise<T> {
    const extra = createServer({ model: classifier, ...options });
    const base = await extra.listen({ port: 0 });
    try {
      return await body(base);
    } finally {
      await extra.shutdown({ timeoutMs: 2000 });
    }
  }
  const oneImage = () =>
    JSON.stringify({
      inputs: [
        {
          name: classifier.info.inputs[0]?.name,
          shape: [1, 28, 28, 1],
          datatype: 'UINT8',
          data: Array.from(pixels.subarray(0, 784)),
        },
      ],
    });
  const infer = (base: string, body = oneImage(), headers: Record<string, string> = {}) =>
    fetch(`${base}/v2/models/mnist/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  async function metric(base: string, name: string, headers: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${base}/metrics`, { headers })).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(name));
    return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  test('concurrent requests are gathered into fewer onnxruntime runs', async () => {
    await withServer({ maxDelayMs: 50, maxBatch: 64 }, async (base) => {
      const statuses = await Promise.all(Array.from({ length: 12 }, () => infer(base).then((r) => r.status)));
      assert.deepEqual(statuses, new Array(12).fill(200));
      const runs = await metric(base, 'cnnx_batch_size_count');
      const images = await metric(base, 'cnnx_batch_size_sum');
      assert.equal(images, 12);
      assert.ok(runs < 12, `${runs} runs for 12 requests`);
    });
  });

  test('a full queue answers 503 at once, never crashes, and serves normally after', async () => {
    await withServer({ maxQueue: 2, maxDelayMs: 100, maxBatch: 64 }, async (base) => {
      const responses = await Promise.all(
        Array.from({ length: 40 }, () =>
          infer(base).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } })),
        ),
      );
      const overloaded = responses.filter((r) => r.status === 503);
      assert.ok(overloaded.length > 0, 'some requests were refused');
      assert.ok(
        responses.some((r) => r.status === 200),
        'some requests were served',
      );
      assert.equal(overloaded.length + responses.filter((r) => r.status === 200).length, 40);
      assert.match(overloaded[0]?.body.error as string, /overloaded/);
      assert.equal((await infer(base)).status, 200);
      assert.equal(await metric(base, 'cnnx_requests_in_flight'), 1); // the /metrics request itself
    });
  });

  test('a request past its own timeout leaves the queue with a 503', async () => {
    await withServer({ maxDelayMs: 300 }, async (base) => {
      const viaParameter = JSON.stringify({ ...JSON.parse(oneImage()), parameters: { timeout_ms: 20 } });
      const started = performance.now();
      const [byParameter, byHeader, patient] = await Promise.all([
        infer(base, viaParameter),
        infer(base, oneImage(), { 'x-timeout-ms': '20' }),
        infer(base),
      ]);
      assert.equal(byParameter.status, 503);
      assert.match(((await byParameter.json()) as { error: string }).error, /timed out after 20 ms/);
      assert.equal(byHeader.status, 503);
      assert.equal(patient.status, 200);
      assert.ok(performance.now() - started >= 250, 'the patient one waited for its batch');
    });
  });

  test('a token requires Authorization: Bearer, except for the health probes', async () => {
    await withServer({ token: 's3cret' }, async (base) => {
      const missing = await infer(base);
      assert.equal(missing.status, 401);
      assert.match(((await missing.json()) as { error: string }).error, /missing Authorization/);
      const wrong = await infer(base, oneImage(), { authorization: 'Bearer guess' });
      assert.equal(wrong.status, 401);
      assert.match(((await wrong.json()) as { error: string }).error, /wrong bearer token/);
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
      assert.equal((await infer(base, oneImage(), { authorization: 'Bearer s3cret' })).status, 200);
      assert.equal((await fetch(`${base}/v2/health/ready`)).status, 200);
    });
  });

  test('metrics count requests by route and status, batch sizes, queue and inference time', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'cnnx_requests_total{route="/v2/models/:name/infer",status="200"}',
      'cnnx_requests_total{route="/v2/models/:name/infer",status="400"}',
      'cnnx_request_duration_seconds_count{route="/v2/models/:name/infer"}',
      'cnnx_queue_time_seconds_count',
      'cnnx_batch_size_count',
      'cnnx_inference_duration_seconds_count',
      'cnnx_requests_in_flight',
      'process_resident_memory_bytes',
    ]) {
      const line = text.split('\n').find((candidate) => candidate.startsWith(name));
      assert.ok(line, `${name} is exposed`);
      if (!name.includes('in_flight')) assert.ok(Number(line.split(' ').pop()) > 0, `${name} > 0`);
    }
  });

  test('shutdown turns readiness 503 at once and lets requests in flight finish', async () => {
    const extra = createServer({ model: classifier, maxDelayMs: 1000 });
    const base = await extra.listen({ port: 0 });
    const inFlight = Array.from({ length: 5 }, () => infer(base).then((r) => r.status));
    // Wait until all five sit in the batch queue (a loaded machine may take a while to connect them).
    const deadline = performance.now() + 3000;
    while ((await extra.metrics.queueDepth.get()).values[0]?.value !== 5 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const stopped = extra.shutdown({ timeoutMs: 5000 });
    assert.equal(extra.ready, false);
    assert.deepEqual(await Promise.all(inFlight), [200, 200, 200, 200, 200]);
    assert.equal(await stopped, true);
    await assert.rejects(fetch(`${base}/v2/health/live`));
  });
});
