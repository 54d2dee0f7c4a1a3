import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Classifier, DeviceUnavailableError } from '../src/index.js';
import { resolveSessionInWorker } from '../src/node/worker-session.js';
import { createServer } from '../src/server/index.js';
import { buildBandModel, drawBand } from './helpers/onnx-fixture.js';

const model = buildBandModel({
  metadata: { 'cnnx.class_names': JSON.stringify(['a', 'b', 'c', 'd']), 'cnnx.input_layout': 'nhwc' },
  classes: 4,
});

/** Event-loop turns (timer callbacks) that happen while `work` is pending. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let stop = false;
  const tick = () => {
    if (stop) return;
    turns++;
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  await work();
  stop = true;
  return turns;
}

describe('Classifier with worker: true (onnxruntime in a worker thread)', () => {
  test('gives the same outputs and classes as the session on the main thread', async () => {
    const main = await Classifier.load(model, { device: 'cpu' });
    const worker = await Classifier.load(model, { device: 'cpu', worker: true });
    try {
      assert.equal(worker.info.device, 'cpu');
      assert.equal(worker.info.provider, 'cpu');
      assert.deepEqual(worker.info.inputs, main.info.inputs);
      assert.deepEqual(worker.info.outputs, main.info.outputs);
      const images = [0, 1, 2, 3].map((band) => ({
        pixels: drawBand(band, { classes: 4 }),
        width: 28,
        height: 28,
      }));
      const expected = await main.classify(images);
      const actual = await worker.classify(images);
      assert.deepEqual(
        actual.map((r) => r.label),
        ['a', 'b', 'c', 'd'],
      );
      assert.deepEqual(actual, expected);
      // Concurrent runs come back to their own callers.
      const batches = await Promise.all(images.map((image) => worker.classify(image)));
      assert.deepEqual(
        batches.map(([result]) => result?.label),
        ['a', 'b', 'c', 'd'],
      );
    } finally {
      await main.release();
      await worker.release();
    }
  });

  test('keeps the event loop turning while the model runs; the main-thread session does not', async () => {
    const count = 40_000;
    const input = { type: 'float32', dims: [count, 28, 28, 1], data: new Float32Array(count * 784) };
    const inWorker = await Classifier.load(model, { device: 'cpu', threads: 1, worker: true });
    const onMain = await Classifier.load(model, { device: 'cpu', threads: 1 });
    try {
      const name = inWorker.info.inputs[0]?.name as string;
      const run = (classifier: Classifier) => () => classifier.run({ [name]: input });
      await run(inWorker)(); // warm both up
      await run(onMain)();
      const workerTurns = await turnsDuring(run(inWorker));
      const mainTurns = await turnsDuring(run(onMain));
      assert.ok(
        workerTurns > mainTurns + 2,
        `timer turns during one run: worker ${workerTurns}, main thread ${mainTurns}`,
      );
    } finally {
      await inWorker.release();
      await onMain.release();
    }
  });

  test('a device that cannot load fails as on the main thread, and runs after release reject', async () => {
    await assert.rejects(
      Classifier.load(model, { device: 'cuda', worker: true }),
      (error: Error) => error instanceof DeviceUnavailableError && /cuda/i.test(error.message),
    );
    const classifier = await Classifier.load(model, { device: 'cpu', worker: true });
    await classifier.release();
    await assert.rejects(
      classifier.classify({ pixels: drawBand(0, { classes: 4 }), width: 28, height: 28 }),
      /released/,
    );
  });

  test('a worker thread that stops marks the session failed, and later runs reject with the reason', async () => {
    const { session } = await resolveSessionInWorker('cpu', model, { intraOpNumThreads: 1 });
    const input = session.inputNames[0] as string;
    const feeds = { [input]: { type: 'float32', dims: [1, 28, 28, 1], data: new Float32Array(784) } };
    // read through a function: TypeScript would otherwise keep `failure` narrowed to undefined
    const failure = () => session.failure;
    assert.equal(failure(), undefined);
    const outputs = await session.run(feeds);
    assert.equal(Object.keys(outputs).length, 1);
    await (session as typeof session & { terminate(): Promise<void> }).terminate();
    assert.match(failure()?.message ?? 'no failure', /worker thread stopped/);
    await assert.rejects(session.run(feeds), /worker thread stopped/);
  });

  test('a server whose model can no longer run answers 503 on probes and inference, and says so once', async () => {
    const classifier = await Classifier.load(model, { device: 'cpu', worker: true });
    const failures: Error[] = [];
    const server = createServer({
      model: classifier,
      name: 'bands',
      onModelFailure: (e) => failures.push(e),
    });
    const url = await server.listen({ port: 0 });
    try {
      const infer = () =>
        fetch(`${url}/v2/models/bands/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            inputs: [
              { name: 'image', datatype: 'FP32', shape: [1, 28, 28, 1], data: new Array(784).fill(0) },
            ],
          }),
        });
      assert.equal((await fetch(`${url}/v2/health/ready`)).status, 200);
      assert.equal((await infer()).status, 200);
      assert.equal(server.ready, true);
      await classifier.release();
      for (const path of ['/v2/health/ready', '/v2/health/live', '/v2/models/bands/ready']) {
        assert.equal((await fetch(`${url}${path}`)).status, 503, path);
      }
      const refused = await infer();
      assert.equal(refused.status, 503);
      assert.match(
        ((await refused.json()) as { error: string }).error,
        /model 'bands' cannot run: .*released/,
      );
      assert.equal(server.ready, false);
      assert.equal(failures.length, 1);
    } finally {
      await server.shutdown({ timeoutMs: 2000 });
    }
  });
});
