/**
 * Requests an attacker or a careless client would send: numbers float32 cannot hold, bodies nested or sized to
 * exhaust the server, broken multipart forms. Each must get a 4xx with one line naming the field, and the
 * server must keep serving. A real 127.0.0.1 socket and a real onnxruntime session of a model written byte by
 * byte (helpers/onnx-fixture.ts), so no other package is needed.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { Classifier, OnnxFormatError } from '../src/index.js';
import { type CnnxServer, createServer } from '../src/server/index.js';
import { buildBandModel } from './helpers/onnx-fixture.js';

const MAX_BODY = 1024 * 1024;
const MAX_FILES = 8;

let classifier: Classifier;
let server: CnnxServer;
let url: string;
let png: Buffer;

before(async () => {
  classifier = await Classifier.load(buildBandModel(), { device: 'cpu', threads: 1 });
  server = createServer({ model: classifier, name: 'band', maxBodyBytes: MAX_BODY, maxFiles: MAX_FILES });
  url = await server.listen({ port: 0 });
  // Random noise does not compress: about 0.19 MB of PNG each, so six of them pass 1 MB together.
  const noise = Buffer.alloc(256 * 256 * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  png = await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
});

after(async () => {
  await server?.shutdown({ timeoutMs: 2000 });
  await classifier?.release();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A raw HTTP request (fetch would refuse some of these bodies), answered with status and parsed JSON. */
function send(path: string, headers: Record<string, string>, body: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const outgoing = httpRequest(
      target,
      { method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
          } catch {
            reject(new Error(`status ${response.statusCode}, not JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    // The server may answer before it has read the whole body; that is not a failure here.
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    outgoing.end(body);
  });
}

function infer(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(
    '/v2/models/band/infer',
    { 'content-type': 'application/json', ...headers },
    typeof body === 'string' ? body : JSON.stringify(body),
  );
}

function fp32Input(data: unknown, shape: unknown = [1, 28, 28, 1]) {
  return { inputs: [{ name: 'image', shape, datatype: 'FP32', data }] };
}

/** 784 zeros with `value` spliced in at `index`, written as JSON text (so 1e300 stays 1e300). */
function fp32Text(value: string, index: number): string {
  const cells = new Array<string>(784).fill('0');
  cells[index] = value;
  return `{"inputs":[{"name":"image","shape":[1,28,28,1],"datatype":"FP32","data":[${cells.join(',')}]}]}`;
}

function binaryInfer(values: Float32Array): Promise<Answer> {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'image',
          shape: [1, 28, 28, 1],
          datatype: 'FP32',
          parameters: { binary_data_size: values.byteLength },
        },
      ],
    }),
  );
  return send(
    '/v2/models/band/infer',
    { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    Buffer.concat([header, Buffer.from(values.buffer)]),
  );
}

function multipart(boundary: string, files: Buffer[], close = true): Buffer {
  const parts: Buffer[] = [];
  files.forEach((file, index) => {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="image"; filename="${index}.png"\r\n` +
          'content-type: image/png\r\n\r\n',
      ),
      file,
      Buffer.from('\r\n'),
    );
  });
  if (close) parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

function classify(body: Buffer, contentType: string): Promise<Answer> {
  return send('/v2/models/band/classify', { 'content-type': contentType }, body);
}

function assertRefused(answer: Answer, status: number, message: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.deepEqual(Object.keys(answer.body), ['error']);
  const error = answer.body.error as string;
  assert.match(error, message);
  assert.ok(!error.includes('\n'), 'one line');
}

async function assertServing(): Promise<void> {
  const answer = await infer(fp32Input(new Array(784).fill(0.5)));
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const [output] = answer.body.outputs as { data: number[] }[];
  assert.ok(output?.data.every(Number.isFinite), 'finite probabilities');
}

describe('numbers float32 cannot hold are 400s naming the input and the index', () => {
  const cases: [string, () => Promise<Answer>, RegExp][] = [
    ['JSON 1e300', () => infer(fp32Text('1e300', 5)), /inputs\[0\]\.data\[5\] is 1e\+300; expected a finite/],
    ['JSON 3.5e38', () => infer(fp32Text('3.5e38', 783)), /inputs\[0\]\.data\[783\] is 3\.5e\+38/],
    [
      'JSON 1e300 on the fast path (a short mantissa)',
      () => infer(fp32Text('1e300', 0).replace('1e300', '1E300')),
      /inputs\[0\]\.data\[0\] is 1e\+300/,
    ],
    [
      'binary NaN',
      () => binaryInfer(new Float32Array(784).fill(Number.NaN, 17, 18)),
      /inputs\[0\] binary data\[17\] is NaN; expected a finite number/,
    ],
    [
      'binary Infinity',
      () => binaryInfer(new Float32Array(784).fill(Number.POSITIVE_INFINITY, 700, 701)),
      /inputs\[0\] binary data\[700\] is Infinity/,
    ],
  ];
  for (const [name, call, message] of cases) {
    test(name, async () => {
      assertRefused(await call(), 400, message);
      await assertServing();
    });
  }

  test('classification of a request holding 3.5e38 is a 400, not "NaN:0:0"', async () => {
    const text = fp32Text('3.5e38', 3).replace(
      '}]}',
      '}],"outputs":[{"name":"probabilities","parameters":{"classification":2}}]}',
    );
    assertRefused(await infer(text), 400, /inputs\[0\]\.data\[3\]/);
  });
});

describe('requests that used to be 500s are 400s', () => {
  test('data nested 100,000 levels deep', async () => {
    const depth = 100_000;
    const data = `${'['.repeat(depth)}0${']'.repeat(depth)}`;
    const body = `{"inputs":[{"name":"image","shape":[1,28,28,1],"datatype":"FP32","data":${data}}]}`;
    assertRefused(await infer(body), 400, /inputs\[0\]\.data is nested deeper than its shape/);
    await assertServing();
  });

  test('a long number sends data down the JSON.parse path, nested 100,000 levels deep', async () => {
    const depth = 100_000;
    const data = `${'['.repeat(depth)}0.12345678901234567${']'.repeat(depth)}`;
    const body = `{"inputs":[{"name":"image","shape":[1,28,28,1],"datatype":"FP32","data":${data}}]}`;
    assertRefused(await infer(body), 400, /inputs\[0\]\.data is nested deeper than its shape/);
  });

  test('any other field nested 100,000 levels deep: read without recursion, refused or ignored', async () => {
    const depth = 100_000;
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    assertRefused(await infer(`{"inputs":${deep}}`), 400, /inputs\[0\] must be an object/);
    assertRefused(
      await infer(`{"inputs":[{"name":${deep}}]}`),
      400,
      /inputs\[0\]\.name \[\[\[\["\.\.\."\]\]\]\] is not an input/,
    );
    const zeros = new Array(784).fill(0).join(',');
    const ignored = `{"parameters":{"x":${deep}},"inputs":[{"name":"image","shape":[1,28,28,1],"datatype":"FP32","data":[${zeros}]}]}`;
    assert.equal((await infer(ignored)).status, 200, 'an unknown parameter is ignored, however deep');
    await assertServing();
  });

  test('shape [1e15, 28, 28, 1]', async () => {
    const answer = await infer(fp32Input([0], [1e15, 28, 28, 1]));
    assertRefused(answer, 400, /inputs\[0\]\.shape \[1000000000000000,28,28,1\] holds 7\.84e\+17 values/);
    await assertServing();
  });

  test('multipart with no closing boundary', async () => {
    const body = multipart('cut', [png], false);
    assertRefused(
      await classify(body, 'multipart/form-data; boundary=cut'),
      400,
      /multipart form .*(ended|end)/,
    );
    await assertServing();
  });

  test('multipart with no boundary parameter', async () => {
    const body = multipart('b', [png]);
    assertRefused(await classify(body, 'multipart/form-data'), 400, /boundary/);
    await assertServing();
  });
});

describe('body limits cover the whole multipart body, and the number of files', () => {
  test('six files under the limit each, over it together, are a 413 for the body', async () => {
    assert.ok(png.length < MAX_BODY / 4 && png.length * 6 > MAX_BODY, `${png.length}-byte PNG`);
    const body = multipart(
      'six',
      Array.from({ length: 6 }, () => png),
    );
    assertRefused(
      await classify(body, 'multipart/form-data; boundary=six'),
      413,
      /request body is larger than the limit of 1048576 bytes/,
    );
    await assertServing();
  });

  test('the same body sent chunked, without a content-length, is a 413 too', async () => {
    const body = multipart(
      'chunked',
      Array.from({ length: 6 }, () => png),
    );
    const answer = await new Promise<Answer>((resolve, reject) => {
      const outgoing = httpRequest(
        new URL('/v2/models/band/classify', url),
        {
          method: 'POST',
          headers: {
            'content-type': 'multipart/form-data; boundary=chunked',
            'transfer-encoding': 'chunked',
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            }),
          );
        },
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      for (let at = 0; at < body.length; at += 64 * 1024) outgoing.write(body.subarray(at, at + 64 * 1024));
      outgoing.end();
    });
    assertRefused(answer, 413, /request body is larger than the limit of 1048576 bytes/);
    await assertServing();
  });

  test('more files than maxFiles is a 413 naming the limit', async () => {
    const small = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const body = multipart(
      'many',
      Array.from({ length: MAX_FILES + 1 }, () => small),
    );
    assertRefused(
      await classify(body, 'multipart/form-data; boundary=many'),
      413,
      /more than 8 files; send at most 8 images per request/,
    );
    const allowed = multipart(
      'eight',
      Array.from({ length: MAX_FILES }, () => small),
    );
    const answer = await classify(allowed, 'multipart/form-data; boundary=eight');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal((answer.body.results as unknown[]).length, MAX_FILES);
  });

  test('64 files of 0.87 MB at a 1 MB limit (the default 64 files): refused, with little memory', async () => {
    const roomy = createServer({ model: classifier, name: 'band', maxBodyBytes: MAX_BODY });
    const base = await roomy.listen({ port: 0 });
    try {
      const big = Buffer.concat([png, png, png, png, png]).subarray(0, 870_000);
      const body = multipart(
        'bomb',
        Array.from({ length: 64 }, () => big),
      );
      const before = process.memoryUsage().rss;
      for (const declared of [true, false]) {
        const answer = await new Promise<Answer>((resolve, reject) => {
          const outgoing = httpRequest(
            new URL('/v2/models/band/classify', base),
            {
              method: 'POST',
              headers: {
                'content-type': 'multipart/form-data; boundary=bomb',
                ...(declared ? { 'content-length': String(body.length) } : {}),
              },
            },
            (response) => {
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () =>
                resolve({
                  status: response.statusCode ?? 0,
                  body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
                }),
              );
            },
          );
          outgoing.on('error', (error: NodeJS.ErrnoException) => {
            if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
          });
          outgoing.end(body);
        });
        assertRefused(answer, 413, /request body is larger than the limit of 1048576 bytes/);
      }
      const grown = process.memoryUsage().rss - before;
      // the server reads at most about one limit's worth of each body before it answers
      assert.ok(grown < 16 * MAX_BODY, `resident memory grew ${Math.round(grown / 2 ** 20)} MB`);
    } finally {
      await roomy.shutdown({ timeoutMs: 2000 });
    }
    await assertServing();
  });
});

describe('a model whose weights hold NaN is refused when it is loaded, before anything serves it', () => {
  test('Classifier.load names the initializer and the index', async () => {
    await assert.rejects(
      Classifier.load(buildBandModel({ nanWeightAt: 4321 }), { device: 'cpu' }),
      (error: unknown) => {
        assert.ok(error instanceof OnnxFormatError, String(error));
        assert.match(
          error.message,
          /initializer 'weights' holds NaN at index 4321: its weights are not numbers/,
        );
        return true;
      },
    );
  });
});
