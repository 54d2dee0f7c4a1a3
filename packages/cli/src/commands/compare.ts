import { join } from 'node:path';
import { type Dataset, stratifiedSplit, subset } from '@cnnx/data';
import { exportToOnnx } from '@cnnx/export';
import { Classifier } from '@cnnx/runtime';
import {
  BASELINE_NAMES,
  type BaselineName,
  buildModel,
  type ComparisonRow,
  describeSvcEstimate,
  estimateSvc,
  evaluatePredictions,
  formatComparisonTable,
  formatNotebookTable,
  initBackend,
  isPresetName,
  PRESET_NAMES,
  parseBaselineNames,
  predict,
  SVC_ESTIMATE_ABOVE,
  stratifiedSample,
  trainBaseline,
  trainModel,
  writeComparisonReport,
} from '@cnnx/train';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { printJson, say } from '../io.js';
import { choice, integer } from '../options.js';
import { createBaselineProgress } from '../progress.js';
import { loadSplit } from './evaluate.js';

interface CompareOptions {
  models: string[];
  dataset: string;
  epochs: number;
  batchSize: number;
  seed: number;
  baselines?: true | BaselineName[];
  baselineEpochs: number;
  baselineLimit?: number;
  limit?: number;
  out: string;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  json?: boolean;
}

/** Images per throughput batch, and how many timed single-image runs give the median latency. */
const THROUGHPUT_BATCH = 256;
const LATENCY_RUNS = 50;

function modelList(value: string): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !isPresetName(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `expected a comma-separated list of ${PRESET_NAMES.join(', ')} for --models${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
  }
  return [...new Set(names)];
}

function baselineList(value: string): BaselineName[] {
  try {
    return parseBaselineNames(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** `cnnx compare`: trains presets (and classical baselines) under one split and seed, and tabulates them. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('compare')
    .description('train several models under the same split and seed, export each to ONNX, and compare them')
    .requiredOption('--models <list>', `comma-separated presets: ${PRESET_NAMES.join(', ')}`, modelList)
    .option('--dataset <spec>', 'dataset spec', 'mnist-sample')
    .option('--epochs <n>', 'training epochs of each CNN', integer('--epochs', { min: 1 }), 3)
    .option('--batch-size <n>', 'training batch size', integer('--batch-size', { min: 1 }), 64)
    .option('--seed <n>', 'seed of the split, weights and shuffling', integer('--seed', { min: 0 }), 42)
    .option(
      '--baselines [names]',
      `add classical baselines: all, or a comma-separated list of ${BASELINE_NAMES.join(', ')}`,
      baselineList,
    )
    .option(
      '--baseline-limit <n>',
      'train the baselines on a stratified sample of about this many images (the SVC grows as n^1.8)',
      integer('--baseline-limit', { min: 10 }),
    )
    .option(
      '--baseline-epochs <n>',
      'epochs of the gradient-trained baselines',
      integer('--baseline-epochs', { min: 1 }),
      5,
    )
    .option(
      '--limit <n>',
      'use about this many training images, stratified (quick runs)',
      integer('--limit', { min: 10 }),
    )
    .option(
      '--backend <name>',
      'training backend',
      choice('--backend', ['auto', 'tensorflow', 'wasm', 'cpu'] as const),
      'auto',
    )
    .option(
      '--out <dir>',
      'where to write compare.json, compare.html and the PNG/SVG figures',
      'runs/compare',
    )
    .option('--json', 'print the comparison as one JSON document on stdout')
    .addHelpText(
      'after',
      '\nExample:\n  $ cnnx compare --models classic,tiny --baselines --epochs 1\n  writes runs/compare/{compare.json, compare.html, compare-table.png, compare-accuracy.png}',
    )
    .action(async (options: CompareOptions) => {
      await runCompare(options);
    });
}

/**
 * Trains each preset and baseline on the same split, measures the CNNs' ONNX exports on
 * onnxruntime-node, prints the table and writes the comparison files.
 *
 * @example
 * const rows = await runCompare({ models: ['tiny'], dataset: 'mnist-sample', epochs: 1, batchSize: 64,
 *   seed: 42, baselineEpochs: 5, out: 'runs/compare', backend: 'auto' });
 */
export async function runCompare(options: CompareOptions): Promise<ComparisonRow[]> {
  const { train, test } = await loadTrainAndTest(options);
  const backend = await initBackend(options.backend);
  say(
    `dataset ${options.dataset}: ${train.count} training and ${test.count} test images (seed ${options.seed}); training on ${backend.name}`,
  );
  const [height = 0, width = 0, channels = 1] = train.shape;
  const classes = train.classNames.length;
  const rows: ComparisonRow[] = [];

  for (const preset of options.models) {
    say(`\n${preset}: training ${options.epochs} epoch(s)…`);
    const model = buildModel(preset, {
      inputShape: [height, width, channels],
      numClasses: classes,
      seed: options.seed,
    });
    try {
      const started = performance.now();
      await trainModel(
        model,
        { train },
        { epochs: options.epochs, batchSize: options.batchSize, seed: options.seed },
      );
      const trainSeconds = (performance.now() - started) / 1000;
      const probabilities = await predict(model, test.images, test.shape);
      const metrics = evaluatePredictions(probabilities, test.labels, test.classNames);
      const onnx = await exportToOnnx(model, { classNames: test.classNames, inputScale: 'unit' });
      const speed = await measureOnnx(onnx, test);
      rows.push({
        name: preset,
        kind: 'cnn',
        parameters: model.countParams(),
        trainSeconds,
        trainImagesPerSecond: (train.count * options.epochs) / trainSeconds,
        accuracy: metrics.accuracy,
        loss: metrics.loss,
        onnxBytes: onnx.byteLength,
        latencyMs: speed.latencyMs,
        imagesPerSecond: speed.imagesPerSecond,
      });
      say(
        `${preset}: accuracy ${(metrics.accuracy * 100).toFixed(2)}% (ONNX ${(speed.accuracy * 100).toFixed(2)}%), trained in ${trainSeconds.toFixed(1)} s`,
      );
    } finally {
      model.dispose();
    }
  }

  const baselines = options.baselines === true ? [...BASELINE_NAMES] : (options.baselines ?? []);
  const baselineTrain =
    options.baselineLimit === undefined
      ? train
      : stratifiedSample(train, options.baselineLimit, options.seed);
  if (baselines.length > 0 && baselineTrain !== train) {
    say(`\nbaselines: a stratified sample of ${baselineTrain.count} of the ${train.count} training images`);
  }
  if (baselines.includes('svc') && baselineTrain.count > SVC_ESTIMATE_ABOVE) {
    say(`\n${describeSvcEstimate(await estimateSvc(baselineTrain, test, { seed: options.seed }))}`);
  }
  for (const name of baselines) {
    say(`\n${name}: training on ${baselineTrain.count} images…`);
    const progress = createBaselineProgress();
    const result = await trainBaseline(name, baselineTrain, test, {
      epochs: options.baselineEpochs,
      seed: options.seed,
      onProgress: progress.update,
    }).finally(progress.stop);
    rows.push({
      name,
      kind: 'baseline',
      parameters: result.parameters,
      trainSeconds: result.trainSeconds,
      trainImagesPerSecond: result.trainImagesPerSecond,
      accuracy: result.accuracy,
      loss: null,
      onnxBytes: null,
      latencyMs: null,
      imagesPerSecond: null,
    });
    say(
      `${name}: accuracy ${(result.accuracy * 100).toFixed(2)}% in ${result.trainSeconds.toFixed(1)} s${result.note ? ` (${result.note})` : ''}`,
    );
  }

  say(`\n${formatComparisonTable(rows)}\n`);
  if (baselines.length > 0) say(`${formatNotebookTable(rows)}\n`);
  const details = {
    dataset: options.dataset,
    trainImages: train.count,
    testImages: test.count,
    epochs: options.epochs,
    baselineEpochs: options.baselineEpochs,
    baselines: baselines.join(','),
    baselineTrainImages: baselines.length > 0 ? baselineTrain.count : 0,
    batchSize: options.batchSize,
    seed: options.seed,
    backend: backend.name,
  };
  const written = await writeComparisonReport(options.out, rows, details);
  say(`wrote ${written.files.map((file) => join(options.out, file)).join(', ')}`);
  if (options.json) printJson({ ...details, rows });
  return rows;
}

async function loadTrainAndTest(options: CompareOptions): Promise<{ train: Dataset; test: Dataset }> {
  let train = await loadSplit(options.dataset, 'train', options.seed);
  let test = await loadSplit(options.dataset, 'test', options.seed);
  if (options.limit !== undefined && options.limit < train.count) {
    const testLimit = Math.max(10, Math.round((options.limit * test.count) / train.count));
    train = subset(train, stratifiedSplit(train.labels, 1 - options.limit / train.count, options.seed).train);
    if (testLimit < test.count) {
      test = subset(test, stratifiedSplit(test.labels, 1 - testLimit / test.count, options.seed).train);
    }
  }
  if (train.classNames.length !== test.classNames.length) {
    throw new CliError(
      `dataset ${options.dataset}: train has ${train.classNames.length} classes but test has ${test.classNames.length}`,
    );
  }
  return { train, test };
}

/** Median single-image latency and batched throughput of an ONNX model on onnxruntime-node (CPU). */
async function measureOnnx(
  onnx: Uint8Array,
  test: Dataset,
): Promise<{ latencyMs: number; imagesPerSecond: number; accuracy: number }> {
  const classifier = await Classifier.load(onnx, { device: 'cpu' });
  try {
    const perImage = test.images.length / test.count;
    const probabilities = await classifier.probabilities(test.images, test.count);
    const classes = probabilities.length / test.count;
    let correct = 0;
    for (let image = 0; image < test.count; image++) {
      let best = 0;
      for (let c = 1; c < classes; c++) {
        if (
          (probabilities[image * classes + c] as number) > (probabilities[image * classes + best] as number)
        )
          best = c;
      }
      if (best === test.labels[image]) correct++;
    }
    const one = test.images.subarray(0, perImage);
    for (let run = 0; run < 5; run++) await classifier.probabilities(one, 1);
    const times: number[] = [];
    for (let run = 0; run < LATENCY_RUNS; run++) {
      const started = performance.now();
      await classifier.probabilities(one, 1);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const batch = Math.min(THROUGHPUT_BATCH, test.count);
    const pixels = test.images.subarray(0, batch * perImage);
    await classifier.probabilities(pixels, batch);
    const started = performance.now();
    let images = 0;
    while (performance.now() - started < 1000 || images < batch * 3) {
      await classifier.probabilities(pixels, batch);
      images += batch;
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      latencyMs: times[Math.floor(times.length / 2)] as number,
      imagesPerSecond: images / seconds,
      accuracy: correct / test.count,
    };
  } finally {
    await classifier.release();
  }
}
