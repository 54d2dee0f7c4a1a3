import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { prepareDigit } from '@cnnx/data';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { Classifier, cudaUnavailableReason, DeviceUnavailableError, OnnxFormatError } from '../src/index.js';
import { buildBandModel, drawBand } from './helpers/onnx-fixture.js';

const classNames = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const cnnxModel = buildBandModel({
  metadata: {
    'cnnx.class_names': JSON.stringify(classNames),
    'cnnx.input_layout': 'nhwc',
    'cnnx.input_scale': 'unit',
  },
});

let folder = '';
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-runtime-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** The reference: onnxruntime-node called directly on unit-scaled pixels. */
async function rawProbabilities(
  model: Uint8Array,
  pixels: Uint8Array,
  dims: number[],
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  const input = Float32Array.from(pixels, (v) => v / 255);
  const outputs = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
  await session.release();
  return outputs[session.outputNames[0]!]!.data as Float32Array;
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('Classifier on onnxruntime-node', () => {
  test('loads from bytes, ArrayBuffer, path and file URL, and reads the cnnx metadata', async () => {
    const path = join(folder, 'band.onnx');
    await writeFile(path, cnnxModel);
    const copy = cnnxModel.slice();
    for (const source of [cnnxModel, copy.buffer, path, pathToFileURL(path)]) {
      const classifier = await Classifier.load(source, { device: 'cpu' });
      assert.deepEqual(classifier.info.classNames, classNames);
      assert.equal(classifier.info.layout, 'nhwc');
      assert.deepEqual(classifier.info.scale, { kind: 'unit' });
      assert.deepEqual(classifier.info.sources, {
        classNames: 'metadata',
        layout: 'metadata',
        scale: 'metadata',
      });
      assert.equal(classifier.info.provider, 'cpu');
      assert.equal(classifier.info.opset, 17);
      assert.deepEqual(classifier.info.inputs, [
        { name: 'image', type: 'float32', shape: ['batch', 28, 28, 1] },
      ]);
      assert.deepEqual(classifier.info.outputs, [
        { name: 'probabilities', type: 'float32', shape: ['batch', 10] },
      ]);
      assert.deepEqual(classifier.info.image, { height: 28, width: 28, channels: 1 });
      await classifier.release();
    }
  });

  test('loads from an http URL (loopback server), and names the URL when the fetch fails', async () => {
    const server = createServer((request, response) => {
      if (request.url === '/band.onnx') response.writeHead(200).end(cnnxModel);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const classifier = await Classifier.load(new URL('/band.onnx', origin));
      assert.deepEqual(classifier.info.classNames, classNames);
      await classifier.release();
      await assert.rejects(
        Classifier.load(`${origin}/missing.onnx`),
        /cannot fetch http:\/\/127\.0\.0\.1:\d+\/missing\.onnx: HTTP 404/,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('classify names the drawn class with its top K, best first', async () => {
    const classifier = await Classifier.load(cnnxModel, { device: 'cpu' });
    for (const label of [0, 3, 9]) {
      const [result] = await classifier.classify(
        { pixels: drawBand(label), width: 28, height: 28 },
        { topK: 4 },
      );
      assert.ok(result);
      assert.equal(result.index, label);
      assert.equal(result.label, classNames[label]);
      assert.equal(result.top.length, 4);
      assert.equal(result.top[0]?.index, label);
      for (let k = 1; k < 4; k++) assert.ok(result.top[k - 1]!.probability >= result.top[k]!.probability);
    }
    const batch = await classifier.classify(
      [1, 2, 5].map((label) => ({ pixels: drawBand(label), width: 28, height: 28 })),
    );
    assert.deepEqual(
      batch.map((r) => r.index),
      [1, 2, 5],
    );
    assert.equal(batch[0]?.top.length, 3);
    await classifier.release();
  });

  test('probabilities match raw onnxruntime-node to 1e-6, from bytes and from float pixels, batch after batch', async () => {
    const classifier = await Classifier.load(cnnxModel, { device: 'cpu' });
    const count = 7;
    const pixels = new Uint8Array(count * 784);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + (i >> 5)) % 256;
    const expected = await rawProbabilities(cnnxModel, pixels, [count, 28, 28, 1]);
    assertClose(await classifier.probabilities(pixels, count), expected, 1e-6);
    // Reused buffers: a second, different batch of the same size must not see the first one's pixels.
    const other = pixels.map((v) => 255 - v);
    const expectedOther = await rawProbabilities(cnnxModel, other, [count, 28, 28, 1]);
    assertClose(await classifier.probabilities(other, count), expectedOther, 1e-6);
    assertClose(await classifier.probabilities(Float32Array.from(pixels), count), expected, 1e-6);
    // Concurrent calls of the same batch size get their own buffers.
    const [a, b] = await Promise.all([
      classifier.probabilities(pixels, count),
      classifier.probabilities(other, count),
    ]);
    assertClose(a, expected, 1e-6);
    assertClose(b, expectedOther, 1e-6);
    await classifier.release();
  });

  test('a PyTorch-style model (NCHW, no metadata, logits) classifies through the same API', async () => {
    const foreign = buildBandModel({ layout: 'nchw', logits: true, inputName: 'input.1', outputName: '45' });
    const classifier = await Classifier.load(foreign);
    assert.equal(classifier.info.layout, 'nchw');
    assert.deepEqual(classifier.info.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.deepEqual(classifier.info.sources, { classNames: 'default', layout: 'default', scale: 'default' });
    const [result] = await classifier.classify({ pixels: drawBand(6), width: 28, height: 28 });
    assert.equal(result?.label, '6');
    assert.equal(classifier.info.outputKind, 'logits');
    const sum = result!.top.reduce((total, entry) => total + entry.probability, 0);
    assert.ok(sum <= 1 + 1e-6 && result!.probability > 0.5);
    await classifier.release();
  });

  test('a 3-channel NCHW model gets colour pixels transposed and gray pixels replicated', async () => {
    const shape = { height: 20, width: 10, channels: 3, classes: 5 };
    const model = buildBandModel({ ...shape, layout: 'nchw' });
    const classifier = await Classifier.load(model);
    assert.deepEqual(classifier.info.image, { height: 20, width: 10, channels: 3 });
    for (const label of [0, 1, 2, 4]) {
      const [result] = await classifier.classify({
        pixels: drawBand(label, shape),
        width: 10,
        height: 20,
        channels: 3,
      });
      assert.equal(result?.index, label, `colour band ${label}`);
    }
    await assert.rejects(
      classifier.classify({ pixels: new Uint8Array(64 * 64), width: 64, height: 64 }),
      /image 0 is 64×64 but the model takes 10×20; resize it first/,
    );
    const expected = await rawProbabilities(
      model,
      transposeToNchw(drawBand(2, shape), shape),
      [1, 3, 20, 10],
    );
    assertClose(await classifier.probabilities(drawBand(2, shape), 1), expected, 1e-6);
    await classifier.release();
  });

  test('input scaling from metadata (standard) reaches the model', async () => {
    const model = buildBandModel({ metadata: { 'cnnx.input_scale': 'standard:0.5:0.25' } });
    const classifier = await Classifier.load(model);
    assert.deepEqual(classifier.info.scale, { kind: 'standard', mean: 0.5, std: 0.25 });
    const pixels = drawBand(4);
    const session = await ort.InferenceSession.create(model);
    const scaled = Float32Array.from(pixels, (v) => (v / 255 - 0.5) / 0.25);
    const raw = await session.run({ image: new ort.Tensor('float32', scaled, [1, 28, 28, 1]) });
    assertClose(await classifier.probabilities(pixels, 1), raw.probabilities!.data as Float32Array, 1e-5);
    await classifier.release();
  });

  test('run gives raw outputs and names the expected and the given shape when they differ', async () => {
    const classifier = await Classifier.load(cnnxModel);
    const outputs = await classifier.run({
      image: { type: 'float32', dims: [2, 28, 28, 1], data: new Float32Array(2 * 784) },
    });
    assert.deepEqual(outputs.probabilities?.dims, [2, 10]);
    await assert.rejects(
      classifier.run({ image: { type: 'float32', dims: [1, 28, 28], data: new Float32Array(784) } }),
      (error: Error) =>
        error instanceof RangeError &&
        /expects \[batch, 28, 28, 1\] \(float32\), got \[1, 28, 28\]/.test(error.message),
    );
    await assert.rejects(
      classifier.run({ pixels: { type: 'float32', dims: [1], data: new Float32Array(1) } }),
      /has no input 'pixels'; its inputs are 'image'/,
    );
    await assert.rejects(classifier.run({}), /missing input 'image' \[batch, 28, 28, 1\]/);
    await classifier.release();
  });

  test('bad input gives clear errors: empty batch, NaN pixels, wrong sizes, wrong counts', async () => {
    const classifier = await Classifier.load(cnnxModel);
    await assert.rejects(
      classifier.classify([]),
      (e: Error) => e instanceof RangeError && /empty batch/.test(e.message),
    );
    await assert.rejects(classifier.probabilities(new Uint8Array(0), 0), /'count' must be an integer ≥ 1/);
    const nan = new Float32Array(784).fill(10);
    nan[100] = Number.NaN;
    await assert.rejects(
      classifier.classify({ pixels: nan, width: 28, height: 28 }),
      (e: Error) => e instanceof RangeError && /image 0: pixel 100 is NaN/.test(e.message),
    );
    await assert.rejects(classifier.probabilities(nan, 1), /'pixels': pixel 100 is NaN/);
    await assert.rejects(
      classifier.classify({ pixels: new Uint8Array(64 * 60), width: 64, height: 64 }),
      /image 0 must hold 64×64×1 = 4096 values, got 3840/,
    );
    await assert.rejects(
      classifier.probabilities(new Uint8Array(700), 1),
      /must hold 1 × 28×28×1 = 784 values, got 700/,
    );
    await assert.rejects(
      classifier.classify({ pixels: drawBand(1), width: 28, height: 28 }, { topK: 0 }),
      /'topK'/,
    );
    // The classifier still works after every error.
    const [result] = await classifier.classify({ pixels: drawBand(8), width: 28, height: 28 });
    assert.equal(result?.index, 8);
    await classifier.release();
    await assert.rejects(classifier.classify({ pixels: drawBand(8), width: 28, height: 28 }), /released/);
  });

  test('image files, Buffers, ImageData and off-size pixels go through prepareDigit like @cnnx/data does', async () => {
    const classifier = await Classifier.load(cnnxModel);
    // A dark "7"-ish stroke on white, 90×120, written as a real PNG by sharp.
    const width = 90;
    const height = 120;
    const gray = new Uint8Array(width * height).fill(255);
    for (let x = 20; x < 70; x++) for (let y = 20; y < 30; y++) gray[y * width + x] = 0;
    for (let y = 30; y < 100; y++)
      for (let x = 60 - Math.floor((y - 30) / 3); x < 70 - Math.floor((y - 30) / 3); x++)
        gray[y * width + x] = 0;
    const png = await sharp(gray, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer();
    const path = join(folder, 'seven.png');
    await writeFile(path, png);
    const prepared = await prepareDigit(path);
    const [expected] = await classifier.classify(
      { pixels: prepared.pixels, width: 28, height: 28 },
      { topK: 10 },
    );
    const fromPath = await classifier.classify(path, { topK: 10 });
    const fromBuffer = await classifier.classify(png, { topK: 10 });
    const fromPixels = await classifier.classify({ pixels: gray, width, height }, { topK: 10 });
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (const [i, value] of gray.entries()) rgba.set([value, value, value, 255], i * 4);
    const fromImageData = await classifier.classify({ data: rgba, width, height }, { topK: 10 });
    for (const [result] of [fromPath, fromBuffer, fromPixels, fromImageData]) {
      assert.deepEqual(
        result?.top.map((t) => t.index),
        expected?.top.map((t) => t.index),
      );
      assert.ok(Math.abs(result!.probability - expected!.probability) < 1e-6);
    }
    await assert.rejects(classifier.classify(join(folder, 'no-such.png')), /no-such\.png.*does not exist/);
    const fake = join(folder, 'fake.png');
    await writeFile(fake, 'not a png');
    await assert.rejects(classifier.classify(fake), /fake\.png.*not an image/);
    await classifier.release();
  });

  test('prepare: false decodes image files at the model size without digit preparation', async () => {
    const classifier = await Classifier.load(cnnxModel);
    const path = join(folder, 'band-4.png');
    await sharp(drawBand(4), { raw: { width: 28, height: 28, channels: 1 } })
      .resize(56, 56, { kernel: 'nearest' })
      .png()
      .toFile(path);
    const [result] = await classifier.classify(path, { prepare: false });
    assert.equal(result?.index, 4);
    const empty = join(folder, 'empty.png');
    await writeFile(empty, '');
    await assert.rejects(classifier.classify(empty, { prepare: false }), /empty\.png: is empty/);
    await classifier.release();
  });

  test('truncated and non-ONNX files give OnnxFormatError naming the file', async () => {
    const truncatedPath = join(folder, 'truncated.onnx');
    await writeFile(truncatedPath, cnnxModel.subarray(0, Math.floor(cnnxModel.length / 2)));
    await assert.rejects(Classifier.load(truncatedPath), (e: Error) => {
      assert.ok(e instanceof OnnxFormatError);
      assert.equal(e.file, truncatedPath);
      assert.match(e.message, /truncated\.onnx is not a usable ONNX model: .*(remain|truncated)/);
      return true;
    });
    const textPath = join(folder, 'notes.onnx');
    await writeFile(textPath, 'these are notes, not a model\n');
    await assert.rejects(
      Classifier.load(textPath),
      (e: Error) => e instanceof OnnxFormatError && e.file === textPath,
    );
    const png = await readFile(new URL('../package.json', import.meta.url));
    await assert.rejects(Classifier.load(png), OnnxFormatError);
    await assert.rejects(Classifier.load(new Uint8Array(0)), /empty/);
    await assert.rejects(
      Classifier.load(join(folder, 'missing.onnx')),
      /cannot read model .*missing\.onnx: no such file/,
    );
  });

  test("device 'cuda' without its provider says how to install it; 'auto' falls back to cpu and says why", async (t) => {
    const reason = cudaUnavailableReason();
    if (reason === null) {
      t.skip('the CUDA provider is installed here');
      return;
    }
    await assert.rejects(Classifier.load(cnnxModel, { device: 'cuda' }), (e: Error) => {
      assert.ok(e instanceof DeviceUnavailableError);
      assert.match(e.message, /device cuda cannot run the model: .*not installed.*run `cnnx setup cuda`/);
      return true;
    });
    const classifier = await Classifier.load(cnnxModel, { device: 'auto' });
    assert.equal(classifier.info.device, 'cpu');
    assert.equal(classifier.info.skipped[0]?.device, 'cuda');
    assert.match(classifier.info.skipped[0]?.reason ?? '', /CUDA/);
    await classifier.release();
    await assert.rejects(
      Classifier.load(cnnxModel, { device: 'webgpu' }),
      /'device' must be one of auto, cuda, cpu here/,
    );
  });

  test('when every device fails, the error lists each one with its cause', async () => {
    const broken = buildBandModel({ unknownOp: true });
    await assert.rejects(Classifier.load(broken, { device: 'auto' }), (e: Error) => {
      assert.ok(e instanceof DeviceUnavailableError);
      assert.deepEqual(
        e.causes.map((c) => c.device),
        ['cuda', 'cpu'],
      );
      assert.match(e.causes[1]!.reason, /NoSuchOp/);
      assert.match(e.message, /^no device could run the model \(cuda: .*; cpu: .*NoSuchOp/);
      return true;
    });
  });

  test('session options are checked, and the optimised-model cache is written then read', async () => {
    await assert.rejects(Classifier.load(cnnxModel, { threads: -1 }), /'threads' must be an integer ≥ 0/);
    await assert.rejects(
      Classifier.load(cnnxModel, { graphOptimizationLevel: 'max' as 'all' }),
      /'graphOptimizationLevel' must be one of disabled, basic, extended, all, got 'max'/,
    );
    const cache = join(folder, 'band.optimized.onnx');
    const options = {
      threads: 1,
      executionMode: 'sequential',
      memoryArena: false,
      optimizedModelFilePath: cache,
    } as const;
    const first = await Classifier.load(cnnxModel, options);
    assert.equal(first.info.optimizedModelCache, 'written');
    assert.ok((await stat(cache)).size > 0);
    const second = await Classifier.load(cnnxModel, options);
    assert.equal(second.info.optimizedModelCache, 'read');
    const pixels = drawBand(5);
    assertClose(await second.probabilities(pixels, 1), await first.probabilities(pixels, 1), 1e-6);
    // A different model must not reuse the cache.
    const third = await Classifier.load(
      buildBandModel({ classes: 10, height: 28, width: 28, opset: 18 }),
      options,
    );
    assert.equal(third.info.optimizedModelCache, 'written');
    await Promise.all([first.release(), second.release(), third.release()]);
  });
});

function transposeToNchw(
  pixels: Uint8Array,
  shape: { height: number; width: number; channels: number },
): Uint8Array {
  const out = new Uint8Array(pixels.length);
  const area = shape.height * shape.width;
  for (let p = 0; p < area; p++)
    for (let c = 0; c < shape.channels; c++) out[c * area + p] = pixels[p * shape.channels + c]!;
  return out;
}
