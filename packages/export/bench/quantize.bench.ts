// int8 and fp16 against fp32 on onnxruntime-node: throughput (measured side by side, interleaved, in one
// run, so the ratios hold on a busy machine) and, for a trained model, accuracy and agreement.
//
//   node --import tsx packages/export/bench/quantize.bench.ts [--model DIR] [--seconds S]
//
// DIR is a tfjs model folder (default runs/quickstart/model when it exists; otherwise a randomly
// initialised classic CNN, whose accuracy means nothing but whose speed does).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDataset, toFloat32 } from '@cnnx/data';
import { buildModel, classicSpec, loadModel } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { exportToOnnx } from '../src/index.js';

const { values } = parseArgs({
  options: { model: { type: 'string' }, seconds: { type: 'string', default: '2' } },
});
const seconds = Number(values.seconds);
await tf.setBackend('cpu');

const modelDir =
  values.model ?? (existsSync('runs/quickstart/model/model.json') ? 'runs/quickstart/model' : undefined);
const model = modelDir
  ? await loadModel(modelDir)
  : buildModel(classicSpec(), { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
const test = await loadDataset('mnist-sample', { split: 'test' });
const train = await loadDataset('mnist-sample', { split: 'train' });
const calibration = toFloat32(train.images.subarray(0, 512 * 784));
const images = toFloat32(test.images);

const variants: Record<string, Uint8Array> = {
  fp32: await exportToOnnx(model),
  fp16: await exportToOnnx(model, { quantize: 'fp16' }),
  int8: await exportToOnnx(model, { quantize: 'int8', calibration }),
};
const sessions: Record<string, ort.InferenceSession> = {};
for (const [name, bytes] of Object.entries(variants)) {
  sessions[name] = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

function argmaxes(probabilities: Float32Array, count: number): Uint8Array {
  const result = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (probabilities[row * 10 + c]! > probabilities[row * 10 + best]!) best = c;
    result[row] = best;
  }
  return result;
}

const predictions: Record<string, Uint8Array> = {};
for (const [name, session] of Object.entries(sessions)) {
  const output = await session.run({ input: new ort.Tensor('float32', images, [test.count, 28, 28, 1]) });
  predictions[name] = argmaxes(output.output!.data as Float32Array, test.count);
}

async function throughput(session: ort.InferenceSession, batch: number, budgetMs: number): Promise<number> {
  const feed = { input: new ort.Tensor('float32', images.subarray(0, batch * 784), [batch, 28, 28, 1]) };
  await session.run(feed);
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    await session.run(feed);
    done += batch;
  }
  return (done * 1000) / (performance.now() - start);
}

console.log(
  `model: ${modelDir ?? 'random classic CNN (accuracy not meaningful)'}; ${test.count} held-out digits`,
);
console.log('variant  bytes      accuracy  agreement');
for (const [name, bytes] of Object.entries(variants)) {
  const predicted = predictions[name]!;
  const accuracy = predicted.filter((value, index) => value === test.labels[index]).length / test.count;
  const agreement =
    predicted.filter((value, index) => value === predictions.fp32![index]).length / test.count;
  console.log(
    `${name.padEnd(8)} ${String(bytes.byteLength).padEnd(10)} ${(accuracy * 100).toFixed(2).padStart(7)}%  ${(agreement * 100).toFixed(2).padStart(7)}%`,
  );
}
for (const batch of [1, 256]) {
  const totals: Record<string, number[]> = { fp32: [], fp16: [], int8: [] };
  // Three interleaved rounds, so background load hits every variant alike; the median is reported.
  for (let round = 0; round < 3; round++) {
    for (const name of Object.keys(totals))
      totals[name]!.push(await throughput(sessions[name]!, batch, (seconds * 1000) / 3));
  }
  const median = (list: number[]): number => [...list].sort((a, b) => a - b)[1]!;
  const base = median(totals.fp32!);
  const line = Object.keys(totals)
    .map(
      (name) =>
        `${name} ${median(totals[name]!).toFixed(0)} img/s (×${(median(totals[name]!) / base).toFixed(2)})`,
    )
    .join(', ');
  console.log(`batch ${String(batch).padEnd(4)} 1 thread: ${line}`);
}
for (const session of Object.values(sessions)) await session.release();
