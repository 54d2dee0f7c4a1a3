/**
 * The same training graph in a real page: the runtime's browser entry bundled with esbuild, served with
 * onnxruntime-web's .wasm files from a loopback server, driven in headless Chromium. Five steps from the same
 * weights, batches and dropout seeds as onnxruntime-node give the same losses: to 1e-4 on wasm; on WebGPU
 * (SwiftShader) the measured difference is printed and held to 1e-3.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '@cnnx/data';
import { buildTrainingGraph, readTrainingState, type TrainingGraph } from '@cnnx/export';
import { TrainingSession } from '@cnnx/runtime';
import { launchChromium } from '@cnnx/testing';
import * as tf from '@tensorflow/tfjs';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const ortDist = join(dirname(fileURLToPath(import.meta.resolve('onnxruntime-web'))));
const STEPS = 5;
const BATCH = 16;
const LEARNING_RATE = 0.005;

/** What the page needs to run the same steps: the graph's description, the state and the batches. */
interface Fixture {
  graph: Omit<TrainingGraph, 'bytes'>;
  state: { name: string; length: number }[];
}

describe('the training step in a browser (onnxruntime-web) agrees with onnxruntime-node', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let origin = '';
  const nodeLosses: number[] = [];

  before(async () => {
    await tf.setBackend('cpu');
    const L = tf.layers;
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const model = tf.sequential({
      layers: [
        L.conv2d({
          inputShape: [28, 28, 1],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(1),
        }),
        L.batchNormalization({ momentum: 0.9 }),
        L.maxPooling2d({ poolSize: 2 }),
        L.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(2) }),
        L.flatten(),
        L.dropout({ rate: 0.25 }),
        L.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3) }),
      ],
    });
    // Built for WebGPU (no grouped Conv), so one graph runs in Node, on wasm and on WebGPU.
    const graph = buildTrainingGraph(model, { optimizer: 'adam', labelSmoothing: 0.1, webgpu: true });
    const state = readTrainingState(model, graph);
    const dataset = await loadDataset('mnist-sample');
    // Spread over the classes: the embedded digits are stored class by class.
    const count = STEPS * BATCH;
    const images = new Float32Array(count * 784);
    const labels = new Int32Array(count);
    for (let row = 0; row < count; row++) {
      const source = (row * 617) % 10_000;
      for (let pixel = 0; pixel < 784; pixel++)
        images[row * 784 + pixel] = dataset.images[source * 784 + pixel]! / 255;
      labels[row] = dataset.labels[source]!;
    }
    const session = await TrainingSession.open(graph, state, { threads: 1 });
    try {
      for (let step = 0; step < STEPS; step++) {
        const batch = {
          images: images.subarray(step * BATCH * 784, (step + 1) * BATCH * 784),
          labels: labels.subarray(step * BATCH, (step + 1) * BATCH),
          count: BATCH,
        };
        nodeLosses.push((await session.step(batch, { learningRate: LEARNING_RATE, seed: 1000 + step })).loss);
      }
    } finally {
      await session.release();
    }

    const bundle = await esbuild.build({
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
      logLevel: 'silent',
    });
    const { bytes, ...description } = graph;
    const fixture: Fixture = {
      graph: description,
      state: [...state].map(([name, values]) => ({ name, length: values.length })),
    };
    const stateBlob = new Float32Array(
      [...state.values()].reduce((total, values) => total + values.length, 0),
    );
    let offset = 0;
    for (const values of state.values()) {
      stateBlob.set(values, offset);
      offset += values.length;
    }
    const bytesOf = (array: Float32Array | Int32Array) =>
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    const files: Record<string, { body: Uint8Array | string; type: string }> = {
      '/': { body: '<!doctype html><title>cnnx training</title>', type: 'text/html' },
      '/runtime.js': { body: bundle.outputFiles[0]!.text, type: 'text/javascript' },
      '/step.onnx': { body: bytes, type: 'application/octet-stream' },
      '/fixture.json': { body: JSON.stringify(fixture), type: 'application/json' },
      '/state.bin': { body: bytesOf(stateBlob), type: 'application/octet-stream' },
      '/images.bin': { body: bytesOf(images), type: 'application/octet-stream' },
      '/labels.bin': { body: bytesOf(labels), type: 'application/octet-stream' },
    };
    server = createServer(async (request, response) => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      let file = files[path];
      if (!file && path.startsWith('/ort/') && /^[\w.-]+$/.test(path.slice(5))) {
        const body = await readFile(join(ortDist, path.slice(5))).catch(() => null);
        if (body) file = { body, type: path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' };
      }
      if (!file) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': file.type }).end(file.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium({ webgpu: true });
    page = await browser.newPage();
    await page.goto(`${origin}/`);
    // tsx keeps function names with a `__name` helper, which code passed to page.evaluate also calls.
    await page.addScriptTag({ content: 'globalThis.__name = (target) => target;' });
    await page.addScriptTag({ url: '/runtime.js', type: 'module' });
    await page.waitForFunction(() => 'cnnxRuntime' in globalThis);
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Runs the five steps in the page on `device`; returns the losses and where they ran. */
  function trainInPage(device: 'wasm' | 'webgpu') {
    return page.evaluate(
      async ({ device, steps, batchSize, learningRate }) => {
        const { TrainingSession } = (globalThis as unknown as { cnnxRuntime: typeof import('@cnnx/runtime') })
          .cnnxRuntime;
        const load = async (path: string) => new Uint8Array(await (await fetch(path)).arrayBuffer());
        const fixture = (await (await fetch('/fixture.json')).json()) as Fixture;
        const blob = new Float32Array((await load('/state.bin')).buffer);
        const state = new Map<string, Float32Array>();
        let offset = 0;
        for (const { name, length } of fixture.state) {
          state.set(name, blob.slice(offset, offset + length));
          offset += length;
        }
        const images = new Float32Array((await load('/images.bin')).buffer);
        const labels = new Int32Array((await load('/labels.bin')).buffer);
        const graph = { ...fixture.graph, bytes: await load('/step.onnx') };
        const session = await TrainingSession.open(graph, state, { device, wasmPaths: '/ort/' } as never);
        const losses: number[] = [];
        try {
          for (let step = 0; step < steps; step++) {
            const batch = {
              images: images.subarray(step * batchSize * 784, (step + 1) * batchSize * 784),
              labels: labels.subarray(step * batchSize, (step + 1) * batchSize),
              count: batchSize,
            };
            losses.push((await session.step(batch, { learningRate, seed: 1000 + step })).loss);
          }
          return { losses, info: { ...session.info }, iterations: session.iterations };
        } finally {
          await session.release();
        }
      },
      { device, steps: STEPS, batchSize: BATCH, learningRate: LEARNING_RATE },
    );
  }

  function worstRelative(actual: number[], expected: number[]): number {
    return Math.max(
      ...actual.map((value, index) => Math.abs(value - expected[index]!) / Math.abs(expected[index]!)),
    );
  }

  test('wasm: the five losses agree with Node to 1e-4', async () => {
    const wasm = await trainInPage('wasm');
    assert.equal(wasm.info.provider, 'wasm');
    assert.equal(wasm.iterations, STEPS);
    assert.ok(
      nodeLosses[STEPS - 1]! < nodeLosses[0]!,
      `the loss goes down in Node: ${nodeLosses.join(', ')}`,
    );
    const error = worstRelative(wasm.losses, nodeLosses);
    console.log(
      `wasm vs node: worst relative loss difference ${error.toExponential(2)} (${wasm.losses.join(', ')})`,
    );
    assert.ok(error <= 1e-4, `wasm losses ${wasm.losses.join(', ')} vs node ${nodeLosses.join(', ')}`);
  });

  test('WebGPU (SwiftShader): the five losses agree with Node (measured, held to 1e-3)', async () => {
    const webgpu = await trainInPage('webgpu');
    assert.equal(webgpu.info.provider, 'webgpu');
    const error = worstRelative(webgpu.losses, nodeLosses);
    console.log(
      `webgpu vs node: worst relative loss difference ${error.toExponential(2)} (${webgpu.losses.join(', ')})`,
    );
    assert.ok(error <= 1e-3, `webgpu losses ${webgpu.losses.join(', ')} vs node ${nodeLosses.join(', ')}`);
  });
});
