/**
 * The runtime's browser entry in a real page: bundled with esbuild for the browser, served with onnxruntime-web's
 * .wasm files and ONNX models from a loopback server, driven in headless Chromium by playwright-core. The same
 * model must give the same probabilities through the Node entry (CPU), the browser entry on wasm, and on WebGPU
 * (SwiftShader), and a PyTorch-style model (NCHW, no cnnx metadata) must classify through the same API.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '@cnnx/data';
import { exportToOnnx } from '@cnnx/export';
import { Classifier } from '@cnnx/runtime';
import { launchChromium } from '@cnnx/testing';
import { buildModel, initBackend } from '@cnnx/train';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const ortDist = join(dirname(fileURLToPath(import.meta.resolve('onnxruntime-web'))));
const classNames = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const count = 8;
const forbidden = [/^node:/, /(^|\/)node_modules\/sharp\//, /onnxruntime-node/, /@tensorflow\/tfjs-node/];

/** The top-level ModelProto without its metadata_props (field 14), as a PyTorch export has none. */
function stripMetadata(bytes: Uint8Array): Uint8Array {
  const kept: Uint8Array[] = [];
  let position = 0;
  const varint = () => {
    let value = 0;
    let multiplier = 1;
    for (;;) {
      const byte = bytes[position++]!;
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return value;
      multiplier *= 128;
    }
  };
  while (position < bytes.length) {
    const start = position;
    const key = varint();
    const wireType = key % 8;
    if (wireType === 0) varint();
    else if (wireType === 2) {
      const length = varint();
      position += length;
    } else if (wireType === 1) position += 8;
    else if (wireType === 5) position += 4;
    if (Math.floor(key / 8) !== 14) kept.push(bytes.subarray(start, position));
  }
  return Buffer.concat(kept);
}

/** Bundles the browser entry as a page script; returns the code and every file it pulled in. */
async function bundleBrowserEntry(): Promise<{ code: string; inputs: string[]; imports: string[] }> {
  const result = await esbuild.build({
    stdin: {
      contents: "import * as runtime from '@cnnx/runtime'; globalThis.cnnxRuntime = runtime;",
      resolveDir: here,
      loader: 'js',
    },
    bundle: true,
    platform: 'browser',
    conditions: ['browser'],
    format: 'esm',
    write: false,
    metafile: true,
    outdir: join(here, 'out'),
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs), imports };
}

describe('@cnnx/runtime in a browser', () => {
  let server: Server;
  let origin = '';
  let browser: Browser;
  let page: Page;
  let bundle: Awaited<ReturnType<typeof bundleBrowserEntry>>;
  let nhwc: Uint8Array;
  let nchw: Uint8Array;
  let pixels: Uint8Array;
  let tfjsProbabilities: Float32Array;

  before(async () => {
    bundle = await bundleBrowserEntry();
    await initBackend('auto');
    const model = buildModel('classic', { inputShape: [28, 28, 1], numClasses: 10, seed: 11 });
    nhwc = await exportToOnnx(model, { classNames });
    nchw = stripMetadata(await exportToOnnx(model, { inputLayout: 'nchw' }));
    const dataset = await loadDataset('mnist-sample');
    pixels = dataset.images.slice(0, count * 784);
    const { predict } = await import('@cnnx/train');
    tfjsProbabilities = await predict(model, pixels, [28, 28, 1]);

    const files: Record<string, { body: Uint8Array | string; type: string }> = {
      '/': { body: '<!doctype html><title>cnnx runtime</title>', type: 'text/html' },
      '/runtime.js': { body: bundle.code, type: 'text/javascript' },
      '/models/nhwc.onnx': { body: nhwc, type: 'application/octet-stream' },
      '/models/nchw.onnx': { body: nchw, type: 'application/octet-stream' },
    };
    server = createServer(async (request, response) => {
      let path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      // Under /iso/ every response carries the headers that make a page cross-origin isolated (wasm threads).
      const isolated = path.startsWith('/iso/');
      if (isolated) path = path.slice(4);
      const headers: Record<string, string> = isolated
        ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
        : {};
      let file = files[path];
      if (!file && path.startsWith('/ort/') && /^[\w.-]+$/.test(path.slice(5))) {
        const body = await readFile(join(ortDist, path.slice(5))).catch(() => null);
        if (body) file = { body, type: path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' };
      }
      if (!file) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { ...headers, 'content-type': file.type }).end(file.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium({ webgpu: true });
    page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.addScriptTag({ url: '/runtime.js', type: 'module' });
    await page.waitForFunction(() => 'cnnxRuntime' in globalThis);
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  test('the bundled browser entry pulls in no Node module, sharp, onnxruntime-node or tfjs-node', () => {
    assert.ok(
      bundle.inputs.some((file) => file.includes('onnxruntime-web')),
      'onnxruntime-web is bundled',
    );
    for (const path of [...bundle.inputs, ...bundle.imports]) {
      for (const pattern of forbidden)
        assert.doesNotMatch(path, pattern, `${path} is reachable from the browser entry`);
    }
  });

  /** Classifies the digits in the page on `device`; returns probabilities, labels and info. */
  async function classifyInPage(model: string, device: string) {
    return page.evaluate(
      async ({ model, device, pixels, count }) => {
        const { Classifier } = (globalThis as unknown as { cnnxRuntime: typeof import('@cnnx/runtime') })
          .cnnxRuntime;
        const classifier = await Classifier.load(model, {
          device: device as 'wasm',
          wasmPaths: '/ort/',
        } as never);
        const images = new Uint8Array(pixels);
        const probabilities = Array.from(await classifier.probabilities(images, count));
        const labels = (
          await classifier.classify(
            Array.from({ length: count }, (_, i) => ({
              pixels: images.slice(i * 784, (i + 1) * 784),
              width: 28,
              height: 28,
            })),
          )
        ).map((result) => result.label);
        const { info } = classifier;
        await classifier.release();
        return { probabilities, labels, info: JSON.parse(JSON.stringify(info)) as typeof info };
      },
      { model, device, pixels: Array.from(pixels), count },
    );
  }

  function assertClose(
    actual: ArrayLike<number>,
    expected: ArrayLike<number>,
    tolerance: number,
    what: string,
  ) {
    assert.equal(actual.length, expected.length, what);
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    assert.ok(worst <= tolerance, `${what}: max difference ${worst} > ${tolerance}`);
  }

  test('Node CPU, browser wasm and browser WebGPU give the same probabilities (1e-5)', async () => {
    const node = await Classifier.load(nhwc, { device: 'cpu' });
    const expected = await node.probabilities(pixels, count);
    await node.release();
    assertClose(expected, tfjsProbabilities, 1e-4, 'onnxruntime-node vs tfjs predict');

    const wasm = await classifyInPage('/models/nhwc.onnx', 'wasm');
    assert.equal(wasm.info.provider, 'wasm');
    assert.deepEqual(wasm.info.classNames, classNames);
    assertClose(wasm.probabilities, expected, 1e-5, 'browser wasm vs node cpu');

    const webgpu = await classifyInPage('/models/nhwc.onnx', 'webgpu');
    assert.equal(webgpu.info.provider, 'webgpu');
    assertClose(webgpu.probabilities, expected, 1e-5, 'browser webgpu vs node cpu');
    assert.deepEqual(webgpu.labels, wasm.labels);

    const auto = await classifyInPage('/models/nhwc.onnx', 'auto');
    assert.equal(auto.info.device, 'webgpu', 'auto prefers WebGPU when an adapter is granted');
  });

  test('a PyTorch-style model (NCHW, no cnnx metadata) classifies through the same API, in Node and in the page', async () => {
    const node = await Classifier.load(nchw);
    assert.equal(node.info.layout, 'nchw');
    assert.deepEqual(node.info.sources, { classNames: 'default', layout: 'default', scale: 'default' });
    assert.deepEqual(node.info.inputs[0]?.shape.slice(1), [1, 28, 28]);
    const probabilities = await node.probabilities(pixels, count);
    await node.release();
    assertClose(probabilities, tfjsProbabilities, 1e-4, 'nchw model vs tfjs predict on the same weights');
    const expectedLabels = Array.from({ length: count }, (_, i) => {
      const row = Array.from(tfjsProbabilities.subarray(i * 10, (i + 1) * 10));
      return String(row.indexOf(Math.max(...row)));
    });
    const wasm = await classifyInPage('/models/nchw.onnx', 'wasm');
    assert.equal(wasm.info.layout, 'nchw');
    assert.deepEqual(wasm.labels, expectedLabels);
    assertClose(wasm.probabilities, probabilities, 1e-5, 'nchw: browser wasm vs node cpu');
  });

  test('in a cross-origin isolated page, wasm runs with threads and gives the same probabilities', async () => {
    const context = await browser.newContext();
    const isolated = await context.newPage();
    await isolated.goto(`${origin}/iso/`);
    await isolated.addScriptTag({ url: '/iso/runtime.js', type: 'module' });
    await isolated.waitForFunction(() => 'cnnxRuntime' in globalThis);
    const outcome = await isolated.evaluate(
      async ({ pixels, count }) => {
        const { Classifier } = (globalThis as unknown as { cnnxRuntime: typeof import('@cnnx/runtime') })
          .cnnxRuntime;
        const classifier = await Classifier.load('/iso/models/nhwc.onnx', {
          device: 'wasm',
          wasmPaths: '/iso/ort/',
        } as never);
        const probabilities = Array.from(await classifier.probabilities(new Uint8Array(pixels), count));
        return { isolated: crossOriginIsolated, threads: classifier.info.threads, probabilities };
      },
      { pixels: Array.from(pixels), count },
    );
    await context.close();
    assert.equal(outcome.isolated, true);
    assert.ok((outcome.threads ?? 0) > 1, `wasm threads: ${outcome.threads}`);
    const node = await Classifier.load(nhwc, { device: 'cpu' });
    assertClose(
      outcome.probabilities,
      await node.probabilities(pixels, count),
      1e-5,
      'threaded wasm vs node cpu',
    );
    await node.release();
  });

  test('in a page without WebGPU, auto falls back to wasm and says why', async () => {
    const context = await browser.newContext();
    const plain = await context.newPage();
    await plain.addInitScript(() => {
      Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    });
    await plain.goto(`${origin}/`);
    await plain.addScriptTag({ url: '/runtime.js', type: 'module' });
    await plain.waitForFunction(() => 'cnnxRuntime' in globalThis);
    const info = await plain.evaluate(async () => {
      const { Classifier } = (globalThis as unknown as { cnnxRuntime: typeof import('@cnnx/runtime') })
        .cnnxRuntime;
      const classifier = await Classifier.load('/models/nhwc.onnx', { wasmPaths: '/ort/' } as never);
      return JSON.parse(JSON.stringify(classifier.info)) as typeof classifier.info;
    });
    assert.equal(info.device, 'wasm');
    assert.equal(info.skipped[0]?.device, 'webgpu');
    assert.match(info.skipped[0]?.reason ?? '', /navigator\.gpu is missing/);
    await context.close();
  });
});
