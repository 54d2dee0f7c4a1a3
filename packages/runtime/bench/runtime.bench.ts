/**
 * `npm run bench:runtime [-- --json] [--seconds S] [--threads N]`: raw onnxruntime-node vs the cnnx Classifier vs tfjs
 * predict, on the same `classic` CNN (random weights, same for every engine), at batch 1, 32, 256 and 1024,
 * for each precision @cnnx/export produces here; plus PNG file → label end to end.
 *
 * The engines are measured in alternating blocks, round after round, so that the noise of a shared machine
 * falls on all of them alike; the verdicts are ratios measured in this run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { affineOf, loadDataset, prepareDigit } from '@cnnx/data';
import { exportToOnnx } from '@cnnx/export';
import { buildModel, initBackend } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { writeImages } from '../src/core/pixels.js';
import { Classifier, type MeasuredStep, measureLatencies, summariseLatencies } from '../src/index.js';

const shape = { height: 28, width: 28, channels: 1 };

const args = process.argv.slice(2);
const json = args.includes('--json');
const secondsFlag = args.indexOf('--seconds');
const secondsPerCase = secondsFlag >= 0 ? Number(args[secondsFlag + 1]) : 2;
if (!(secondsPerCase > 0))
  throw new RangeError(`--seconds must be a positive number, got ${args[secondsFlag + 1]}`);
const threadsFlag = args.indexOf('--threads');
const threads = threadsFlag >= 0 ? Number(args[threadsFlag + 1]) : undefined;
if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
  throw new RangeError(`--threads must be an integer ≥ 1, got ${args[threadsFlag + 1]}`);
}
const batches = [1, 32, 256, 1024];
const log = (message: string) => process.stderr.write(`${message}\n`);

interface Result {
  engine: string;
  precision: string;
  batch: number;
  p50Ms: number;
  p99Ms: number;
  imagesPerSecond: number;
}

/** The bench's row of a step's latencies: its p50, p99 and images/s (see `summariseLatencies`). */
function summarise(engine: string, precision: string, batch: number, latencies: number[]): Result {
  const { p50Ms, p99Ms, imagesPerSecond } = summariseLatencies(latencies, batch);
  return { engine, precision, batch, p50Ms, p99Ms, imagesPerSecond };
}

async function main(): Promise<void> {
  const classNames = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  const tfBackend = await initBackend('auto');
  log(
    `tfjs backend: ${tfBackend.name}${tfBackend.skipped.length ? ` (skipped ${tfBackend.skipped.map((s) => s.name).join(', ')})` : ''}`,
  );
  const model = buildModel('classic', { inputShape: [28, 28, 1], numClasses: 10, seed: 7 });

  const dataset = await loadDataset('mnist-sample');
  // int8 calibration: 256 digits, scaled as the model's input.
  const calibration = Float32Array.from(dataset.images.subarray(0, 256 * 784), (v) => v / 255);
  const precisions: { precision: string; bytes: Uint8Array }[] = [];
  for (const quantize of [undefined, 'fp16', 'int8'] as const) {
    try {
      const options = quantize === 'int8' ? { classNames, quantize, calibration } : { classNames, quantize };
      precisions.push({ precision: quantize ?? 'fp32', bytes: await exportToOnnx(model, options) });
    } catch (error) {
      log(`${quantize}: not measured (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  const maxBatch = Math.max(...batches);
  const pixels = dataset.images.subarray(0, maxBatch * 784);
  const scaled = Float32Array.from(pixels, (v) => v / 255);

  const results: Result[] = [];
  const tfjsEngine = `tfjs-${tfBackend.name}`;
  for (const { precision, bytes } of precisions) {
    // Same session options for both: onnxruntime's defaults, or --threads intra-op threads.
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      ...(threads ? { intraOpNumThreads: threads } : {}),
    });
    const [inputName] = session.inputNames;
    const classifier = await Classifier.load(bytes, { device: 'cpu', threads });
    for (const batch of batches) {
      const rawInput = scaled.subarray(0, batch * 784);
      const images = pixels.subarray(0, batch * 784);
      const steps: MeasuredStep[] = [
        () => session.run({ [inputName!]: new ort.Tensor('float32', rawInput, [batch, 28, 28, 1]) }),
        () => classifier.probabilities(images, batch),
      ];
      if (precision === 'fp32') {
        steps.push(async () => {
          const output = tf.tidy(() => model.predict(tf.tensor4d(rawInput, [batch, 28, 28, 1])) as tf.Tensor);
          await output.data();
          output.dispose();
        });
      }
      const samples = await measureLatencies(steps, { batch, seconds: secondsPerCase });
      const raw = summarise('onnxruntime-raw', precision, batch, samples[0]!);
      const cnnx = summarise('cnnx', precision, batch, samples[1]!);
      results.push(raw, cnnx);
      if (samples[2]) results.push(summarise(tfjsEngine, precision, batch, samples[2]));
      log(
        `${precision} batch ${String(batch).padStart(4)}: raw ${raw.imagesPerSecond.toFixed(0).padStart(7)} img/s p50 ${raw.p50Ms.toFixed(4)} ms | cnnx ${cnnx.imagesPerSecond.toFixed(0).padStart(7)} img/s p50 ${cnnx.p50Ms.toFixed(4)} ms (×${(cnnx.imagesPerSecond / raw.imagesPerSecond).toFixed(3)}, p50 ${cnnx.p50Ms - raw.p50Ms >= 0 ? '+' : ''}${(cnnx.p50Ms - raw.p50Ms).toFixed(4)} ms)${samples[2] ? ` | ${tfjsEngine} ${results.at(-1)!.imagesPerSecond.toFixed(0)} img/s` : ''}`,
      );
    }
    await session.release();
    await classifier.release();
  }

  // End to end: a PNG file of a real digit (scaled up to 112×112, dark on light) → label.
  const folder = await mkdtemp(join(tmpdir(), 'cnnx-bench-'));
  const endToEnd: Record<string, number> = {};
  try {
    const digit = Uint8Array.from(dataset.images.subarray(0, 784), (v) => 255 - v);
    const png = await sharp(digit, { raw: { width: 28, height: 28, channels: 1 } })
      .resize(112, 112)
      .png()
      .toBuffer();
    const path = join(folder, 'digit.png');
    await writeFile(path, png);
    const classifier = await Classifier.load(precisions[0]!.bytes, { device: 'cpu' });
    const [toLabel, prepare] = (
      await measureLatencies([() => classifier.classify(path), () => prepareDigit(path)], {
        batch: 1,
        seconds: secondsPerCase,
      })
    ).map((latencies) => summariseLatencies(latencies, 1));
    endToEnd.pngToLabelP50Ms = toLabel!.p50Ms;
    endToEnd.pngToLabelP99Ms = toLabel!.p99Ms;
    endToEnd.prepareDigitP50Ms = prepare!.p50Ms;
    await classifier.release();
    log(
      `PNG file → label (112×112 PNG, prepareDigit + classify): p50 ${endToEnd.pngToLabelP50Ms.toFixed(3)} ms, p99 ${endToEnd.pngToLabelP99Ms.toFixed(3)} ms (prepareDigit alone p50 ${endToEnd.prepareDigitP50Ms.toFixed(3)} ms)`,
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }

  // The wrapper's own work per batch (pixel scaling into the reused buffer), timed alone: the best of 30 runs,
  // which the machine's load disturbs far less than a whole inference.
  const wrapperWork: Record<string, number> = {};
  for (const batch of batches) {
    const target = new Float32Array(batch * 784);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      writeImages(pixels, 0, 1, target, 0, batch, shape, 'nhwc', affineOf({ kind: 'unit' }), 'pixels');
      best = Math.min(best, performance.now() - start);
    }
    wrapperWork[`batch${batch}Ms`] = best;
    const raw = results.find(
      (r) => r.engine === 'onnxruntime-raw' && r.precision === 'fp32' && r.batch === batch,
    )!;
    log(
      `cnnx pixel scaling, batch ${batch}: ${(best * 1000).toFixed(1)} µs = ${((best / raw.p50Ms) * 100).toFixed(2)}% of raw p50`,
    );
  }

  // Verdicts against the targets, fp32.
  const find = (engine: string, batch: number) =>
    results.find((r) => r.engine === engine && r.precision === 'fp32' && r.batch === batch)!;
  const checks = [256, 1024].map((batch) => {
    const ratio = find('cnnx', batch).imagesPerSecond / find('onnxruntime-raw', batch).imagesPerSecond;
    return { check: `cnnx/raw images/s at batch ${batch} ≥ 0.95`, value: ratio, pass: ratio >= 0.95 };
  });
  const p50Gap = find('cnnx', 1).p50Ms - find('onnxruntime-raw', 1).p50Ms;
  checks.push({ check: 'cnnx − raw p50 at batch 1 ≤ 0.02 ms', value: p50Gap, pass: p50Gap <= 0.02 });
  for (const c of checks) log(`${c.pass ? 'PASS' : 'FAIL'} ${c.check}: ${c.value.toFixed(4)}`);

  if (json) {
    process.stdout.write(
      `${JSON.stringify({ model: 'classic (28×28×1 → 10, random weights)', results, endToEnd, wrapperWork, checks }, null, 2)}\n`,
    );
  }
}

await main();
