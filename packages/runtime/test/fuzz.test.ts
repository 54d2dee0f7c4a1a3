/**
 * Property-based fuzzing of the runtime's readers with fast-check: the ONNX summary reader, the infer request
 * reader (JSON, nested data, Triton's binary tensors and their header length), and multipart uploads through a
 * real server on 127.0.0.1. For any input each gives a result or its documented error (ProtobufError; an
 * HttpError with a 4xx status), never another exception, a hang or a 500, with resident memory under 1 GiB.
 * A fixed seed and a time budget per property (CNNX_FUZZ_SEED, CNNX_FUZZ_MS).
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { assertFuzz, mutatedBytes, resultOrAllowed } from '@cnnx/testing';
import fc from 'fast-check';
import sharp from 'sharp';
import { ProtobufError, readOnnxSummary } from '../src/core/onnx-model.js';
import { Classifier } from '../src/index.js';
import {
  type CnnxServer,
  createServer,
  describeModel,
  HttpError,
  parseInferRequest,
} from '../src/server/index.js';
import { buildBandModel } from './helpers/onnx-fixture.js';

const models = [
  buildBandModel({ height: 4, width: 4, classes: 3, metadata: { 'cnnx.class_names': '["a","b","c"]' } }),
  buildBandModel({ height: 4, width: 4, classes: 3, layout: 'nchw', logits: true }),
];

describe('fuzz: the ONNX summary reader', () => {
  it('gives a summary with inputs and outputs, or a ProtobufError', async () => {
    await assertFuzz(
      fc.asyncProperty(mutatedBytes(models, 6), async (bytes) => {
        const summary = await resultOrAllowed(() => readOnnxSummary(bytes), [ProtobufError]);
        if (summary === undefined) return;
        assert.ok(summary.inputs.length > 0 && summary.outputs.length > 0);
      }),
    );
  });
});

describe('fuzz: the infer request reader', () => {
  const model = describeModel('band', {
    inputs: [{ name: 'image', shape: ['batch', 4, 4, 1], type: 'float32' }],
    outputs: [{ name: 'probabilities', shape: ['batch', 3], type: 'float32' }],
    classNames: ['a', 'b', 'c'],
  });
  const number = fc.oneof(
    fc.integer({ min: -2, max: 300 }),
    fc.double({ noNaN: true }),
    fc.constantFrom(1e300, -3.5e38, 3.4e38, 0.1, 1e-320),
  );
  const nested = fc.letrec<{ data: unknown }>((tie) => ({
    data: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      number,
      fc.array(tie('data'), { maxLength: 20 }),
      fc.constantFrom(null, 'x', true, {}),
    ),
  })).data;
  const shape = fc.oneof(
    fc.array(fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constantFrom(4, 1e15, 2 ** 53, 0.5)), {
      maxLength: 5,
    }),
    fc.constant([1, 4, 4, 1]),
    fc.constant([2, 4, 4, 1]),
  );
  const input = fc.record(
    {
      name: fc.constantFrom('image', 'other', 7),
      shape,
      datatype: fc.constantFrom('FP32', 'UINT8', 'INT64', null),
      data: fc.oneof(nested, fc.array(number, { minLength: 16, maxLength: 32 })),
      parameters: fc.record({
        binary_data_size: fc.oneof(fc.nat({ max: 200 }), fc.constantFrom(64, 16, -1)),
      }),
    },
    { requiredKeys: ['name'] },
  );
  const request = fc.record(
    {
      id: fc.oneof(fc.string(), fc.nat()),
      inputs: fc.oneof(fc.array(input, { maxLength: 3 }), fc.constantFrom(null, 'x')),
      outputs: fc.array(
        fc.record({
          name: fc.constantFrom('probabilities', 'logits'),
          parameters: fc.record({
            classification: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constant('2')),
            binary_data: fc.oneof(fc.boolean(), fc.constant('yes')),
          }),
        }),
        { maxLength: 2 },
      ),
      parameters: fc.record({ timeout: fc.oneof(fc.integer({ min: -5, max: 1e6 }), fc.constant('1')) }),
    },
    { requiredKeys: [] },
  );
  /** A JSON header, maybe followed by binary tensors, with a header length that is right, wrong or absent. */
  const body = fc
    .tuple(request, fc.uint8Array({ maxLength: 160 }), fc.constantFrom('right', 'absent', 'wrong', 'zero'))
    .map(([json, binary, length]) => {
      const header = Buffer.from(JSON.stringify(json));
      const bytes = length === 'absent' ? header : Buffer.concat([header, binary]);
      const value =
        length === 'right' ? String(header.length) : length === 'wrong' ? `${header.length + 3}x` : undefined;
      return { bytes: new Uint8Array(bytes), headerLength: length === 'zero' ? '0' : value };
    });
  /** A valid request (JSON or binary), then a few of the changes a careless or hostile client makes. */
  const perturbation = fc.oneof(
    fc.record({
      kind: fc.constant('value' as const),
      at: fc.nat(),
      value: fc.constantFrom<unknown>(1e300, -3.5e38, 3.4e38, 256, -1, 0.5, 'x', null, [], [1]),
    }),
    fc.record({
      kind: fc.constant('shape' as const),
      at: fc.nat(),
      value: fc.constantFrom<unknown>(1e15, -1, 0, 2 ** 53, 0.5, '4', 5),
    }),
    fc.record({
      kind: fc.constant('datatype' as const),
      value: fc.constantFrom<unknown>('FP32', 'UINT8', 'BYTES', 1),
    }),
    fc.record({ kind: fc.constant('deeper' as const), depth: fc.integer({ min: 1, max: 2000 }) }),
    fc.record({
      kind: fc.constant('binary' as const),
      size: fc.constantFrom('right', 'short', 'long'),
      bits: fc.constantFrom(0x7fc00000, 0x7f800000, 0xff800000, 0x3f000000),
    }),
    fc.record({
      kind: fc.constant('outputs' as const),
      value: fc.constantFrom<unknown>(
        [{ name: 'probabilities', parameters: { classification: 2 } }],
        [{ name: 'x' }],
        [],
        'all',
        [{ name: 'probabilities', parameters: { classification: 99, binary_data: true } }],
      ),
    }),
  );
  const perturbed = fc
    .tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom('FP32', 'UINT8'),
      fc.boolean(),
      fc.array(perturbation, { maxLength: 3 }),
    )
    .map(([batch, datatype, nested, changes]) => {
      const values: unknown[] = Array.from({ length: batch * 16 }, (_, i) => (i * 7) % 256);
      const shape: unknown[] = [batch, 4, 4, 1];
      const input: Record<string, unknown> = { name: 'image', shape, datatype };
      const request: Record<string, unknown> = { inputs: [input] };
      let binary: Buffer | undefined;
      let depth = 0;
      for (const change of changes) {
        if (change.kind === 'value') values[change.at % values.length] = change.value;
        else if (change.kind === 'shape') shape[change.at % shape.length] = change.value;
        else if (change.kind === 'datatype') input.datatype = change.value;
        else if (change.kind === 'deeper') depth = change.depth;
        else if (change.kind === 'outputs') request.outputs = change.value;
        else {
          const floats = new Float32Array(batch * 16).fill(0.25);
          new DataView(floats.buffer).setUint32(4 * (batch * 3), change.bits, true);
          const bytes = Buffer.from(
            input.datatype === 'UINT8' ? new Uint8Array(batch * 16) : new Uint8Array(floats.buffer),
          );
          binary =
            change.size === 'right'
              ? bytes
              : change.size === 'short'
                ? bytes.subarray(1)
                : Buffer.concat([bytes, bytes]);
          input.parameters = { binary_data_size: bytes.length };
        }
      }
      if (binary === undefined) {
        let data: unknown = nested ? [values.slice(0, 16), values.slice(16)] : values;
        for (let level = 0; level < depth; level++) data = [data];
        input.data = data;
      }
      const header = Buffer.from(JSON.stringify(request));
      return binary === undefined
        ? { bytes: new Uint8Array(header), headerLength: undefined as string | undefined }
        : { bytes: new Uint8Array(Buffer.concat([header, binary])), headerLength: String(header.length) };
    });
  const valid = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'image', shape: [1, 4, 4, 1], datatype: 'FP32', data: new Array(16).fill(0.5) }],
    }),
  );
  const mutated = mutatedBytes([valid]).map((bytes) => ({
    bytes,
    headerLength: undefined as string | undefined,
  }));
  const bodies = fc.oneof(
    { weight: 3, arbitrary: perturbed },
    { weight: 1, arbitrary: body },
    { weight: 1, arbitrary: mutated },
  );

  it('gives a request whose tensors match its shapes, or an HttpError 4xx', async () => {
    await assertFuzz(
      fc.asyncProperty(bodies, async ({ bytes, headerLength }) => {
        const parsed = await resultOrAllowed(
          () =>
            parseInferRequest(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), headerLength, model),
          [HttpError],
        );
        if (parsed === undefined) return;
        assert.ok(parsed.count >= 1);
        for (const tensor of parsed.inputs) {
          assert.equal(tensor.length, parsed.count * 16);
          assert.ok(tensor.every(Number.isFinite), 'finite values only');
        }
      }),
    );
  });

  it('HttpErrors it throws are 400s', async () => {
    await assertFuzz(
      fc.asyncProperty(bodies, async ({ bytes, headerLength }) => {
        try {
          parseInferRequest(Buffer.from(bytes), headerLength, model);
        } catch (error) {
          assert.ok(error instanceof HttpError, String(error));
          assert.equal(error.statusCode, 400);
          assert.ok(!error.message.includes('\n'));
        }
      }),
    );
  });
});

describe('fuzz: multipart uploads to a real server', () => {
  let classifier: Classifier;
  let server: CnnxServer;
  let url: string;
  let png: Buffer;

  before(async () => {
    classifier = await Classifier.load(buildBandModel(), { device: 'cpu', threads: 1 });
    server = createServer({ model: classifier, name: 'band', maxBodyBytes: 64 * 1024, maxFiles: 4 });
    url = await server.listen({ port: 0 });
    png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#123456' } })
      .png()
      .toBuffer();
  });
  after(async () => {
    await server?.shutdown({ timeoutMs: 2000 });
    await classifier?.release();
  });

  function post(contentType: string, body: Uint8Array): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        new URL('/v2/models/band/classify', url),
        { method: 'POST', headers: { 'content-type': contentType, 'content-length': String(body.length) } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      outgoing.setTimeout(10_000, () => reject(new Error('no answer within 10 s')));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  const part = fc.record({
    name: fc.constantFrom('image', 'file', '__proto__', ''),
    filename: fc.option(fc.constantFrom('a.png', '../../etc/passwd', '', 'x"y.png')),
    type: fc.constantFrom('image/png', 'text/plain', ''),
    content: fc.constantFrom('png', 'empty', 'text', 'big'),
  });
  const form = fc
    .tuple(
      fc.array(part, { maxLength: 6 }),
      fc.constantFrom('b0undary', 'x', '"quoted"', ''),
      fc.boolean(),
      fc.nat(),
    )
    .map(([parts, boundary, close, cut]) => {
      const raw = boundary.replace(/"/g, '');
      const chunks: Buffer[] = [];
      for (const item of parts) {
        const content =
          item.content === 'png'
            ? png
            : item.content === 'text'
              ? Buffer.from('not an image')
              : item.content === 'big'
                ? Buffer.alloc(70 * 1024, 1)
                : Buffer.alloc(0);
        const filename = item.filename === null ? '' : `; filename="${item.filename}"`;
        chunks.push(
          Buffer.from(
            `--${raw}\r\ncontent-disposition: form-data; name="${item.name}"${filename}\r\n` +
              `${item.type ? `content-type: ${item.type}\r\n` : ''}\r\n`,
          ),
          content,
          Buffer.from('\r\n'),
        );
      }
      if (close) chunks.push(Buffer.from(`--${raw}--\r\n`));
      const bytes = Buffer.concat(chunks);
      const body = cut % 3 === 0 ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
      const type = boundary === '' ? 'multipart/form-data' : `multipart/form-data; boundary=${boundary}`;
      return { type, body: new Uint8Array(body) };
    });
  const mutatedForm = mutatedBytes([
    new Uint8Array(
      Buffer.from(
        '--b\r\ncontent-disposition: form-data; name="image"; filename="a.png"\r\ncontent-type: image/png\r\n\r\nPNGDATA\r\n--b--\r\n',
      ),
    ),
  ]).map((body) => ({ type: 'multipart/form-data; boundary=b', body }));

  it('answers 200, 400, 413 or 415 with JSON, never a 500, and keeps serving', async () => {
    await assertFuzz(
      fc.asyncProperty(fc.oneof(form, mutatedForm), async ({ type, body }) => {
        const answer = await post(type, body);
        assert.ok([200, 400, 413, 415].includes(answer.status), `${answer.status}: ${answer.text}`);
        const parsed = JSON.parse(answer.text) as { error?: string; results?: unknown[] };
        if (answer.status !== 200)
          assert.ok(typeof parsed.error === 'string' && !parsed.error.includes('\n'));
        const rss = process.memoryUsage.rss();
        assert.ok(rss < 1024 ** 3, `resident memory ${rss}`);
      }),
    );
    const live = await fetch(`${url}/v2/health/live`);
    assert.equal(live.status, 200);
  });
});
