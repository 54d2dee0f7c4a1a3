import { join } from 'node:path';
import { type Dataset, writeFolderAtomic } from '@cnnx/data';
import { exportToOnnx } from '@cnnx/export';
import { Classifier, measureThroughput } from '@cnnx/runtime';
// registers the onnxruntime training engine (--backend auto|onnxruntime)
import '@cnnx/runtime/training';
import {
  BASELINE_NAMES,
  type BaselineName,
  type ComparisonRow,
  describeSvcEstimate,
  estimateSvc,
  evaluatePredictions,
  formatComparisonTable,
  formatNotebookTable,
  predict,
  type RunData,
  runConfig,
  SVC_ESTIMATE_ABOVE,
  stratifiedSample,
  trainBaseline,
  trainRun,
  writeComparisonReport,
} from '@cnnx/train';
import { checkTrainingDevice } from '../device.js';
import { UsageError } from '../errors.js';
import { printJson, say } from '../io.js';
import { checkOutputPath, isCnnxReportFolder, isFigureName } from '../output-paths.js';
import { createBaselineProgress, describeBackend } from '../progress.js';

export interface CompareOptions {
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
  backend: string;
  /** onnxruntime's device (default cpu). */
  device?: 'cpu' | 'cuda';
  dataDir?: string;
  force?: boolean;
  json?: boolean;
}

/** What `--out` refreshes without `--force`: a folder holding only an earlier comparison. */
export const OWN_COMPARISON = 'an earlier cnnx comparison';

function isComparison(folder: string): Promise<boolean> {
  return isCnnxReportFolder(
    folder,
    'compare.html',
    (name) => name === 'compare.html' || name === 'compare.json' || isFigureName(name),
  );
}

/** Images per throughput batch. */
const THROUGHPUT_BATCH = 256;

/**
 * Trains each preset (through `trainRun`, every one on the same split and seed) and each baseline, measures
 * the CNNs' ONNX exports on onnxruntime-node, prints the table and writes the comparison files.
 *
 * @example
 * const rows = await runCompare({ models: ['tiny'], dataset: 'mnist-sample', epochs: 1, batchSize: 64,
 *   seed: 42, baselineEpochs: 5, out: 'runs/compare', backend: 'auto' });
 */
export async function runCompare(options: CompareOptions): Promise<ComparisonRow[]> {
  checkTrainingDevice(options.backend, options.device);
  await checkOutputPath({
    flag: '--out',
    path: options.out,
    kind: 'folder',
    force: Boolean(options.force),
    isOwnOutput: isComparison,
    ownOutput: OWN_COMPARISON,
  });
  let data: RunData | undefined;
  let backendName = '';
  const rows: ComparisonRow[] = [];
  for (const preset of options.models) {
    const config = runConfig(
      {
        dataset: options.dataset,
        model: preset,
        epochs: options.epochs,
        batchSize: options.batchSize,
        seed: options.seed,
        ...(options.limit === undefined ? {} : { limit: options.limit }),
        validationSplit: 0,
        test: 'split',
      },
      { presetDefaults: false },
    );
    const first = data === undefined;
    const run = await trainRun(
      config,
      {
        onData: (loaded) => {
          data = loaded;
          if (options.batchSize > loaded.train.count) {
            throw new UsageError(
              `--batch-size ${options.batchSize} is larger than the training set (${loaded.train.count} images${options.limit === undefined ? '' : ` with --limit ${options.limit}`}); use at most ${loaded.train.count}`,
            );
          }
        },
        onBackend: (backend) => {
          backendName = backend.name;
          for (const skipped of backend.skipped) say(`backend ${skipped.name} skipped: ${skipped.reason}`);
          if (!first) return;
          const [train, test] = [data?.train.count, data?.test?.count];
          say(
            `dataset ${options.dataset}: ${train} training and ${test} test images (seed ${options.seed}); training on ${describeBackend(backend)}`,
          );
        },
        onModel: () => say(`\n${preset}: training ${options.epochs} epoch(s)…`),
      },
      {
        backend: options.backend,
        device: options.device ?? 'cpu',
        ...(data ? { data } : {}),
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      },
    );
    data = run.data;
    const { model, training } = run;
    const test = data.test as Dataset;
    try {
      const probabilities = await predict(model, test.images, test.shape);
      const metrics = evaluatePredictions(probabilities, test.labels, test.classNames);
      const onnx = await exportToOnnx(model, { classNames: test.classNames, inputScale: 'unit' });
      const speed = await measureOnnx(onnx, test);
      rows.push({
        name: preset,
        kind: 'cnn',
        parameters: model.countParams(),
        trainSeconds: training.seconds,
        trainImagesPerSecond: (data.train.count * options.epochs) / training.seconds,
        accuracy: metrics.accuracy,
        loss: metrics.loss,
        onnxBytes: onnx.byteLength,
        latencyMs: speed.latencyMs,
        imagesPerSecond: speed.imagesPerSecond,
      });
      say(
        `${preset}: accuracy ${(metrics.accuracy * 100).toFixed(2)}% (ONNX ${(speed.accuracy * 100).toFixed(2)}%), trained in ${training.seconds.toFixed(1)} s`,
      );
    } finally {
      model.dispose();
    }
  }
  const train = (data as RunData).train;
  const test = (data as RunData).test as Dataset;

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
    backend: backendName,
  };
  let written = { files: [] as string[] };
  await writeFolderAtomic(
    options.out,
    async (folder) => {
      written = await writeComparisonReport(folder, rows, details);
    },
    { merge: true },
  );
  say(`wrote ${written.files.map((file) => join(options.out, file)).join(', ')}`);
  if (options.json) printJson({ ...details, rows });
  return rows;
}

/**
 * An ONNX model's accuracy on `test`, its median single-image latency and its images/s at batch 256, on
 * onnxruntime-node's CPU, measured by the runtime's `measureThroughput` (as `cnnx bench` measures).
 */
async function measureOnnx(
  onnx: Uint8Array,
  test: Dataset,
): Promise<{ latencyMs: number; imagesPerSecond: number; accuracy: number }> {
  const classifier = await Classifier.load(onnx, { device: 'cpu' });
  try {
    const probabilities = await classifier.probabilities(test.images, test.count);
    const { accuracy } = evaluatePredictions(probabilities, test.labels, test.classNames);
    const perImage = test.images.length / test.count;
    const one = test.images.subarray(0, perImage);
    const latency = await measureThroughput(() => classifier.probabilities(one, 1), {
      batch: 1,
      seconds: 0.25,
    });
    const batch = Math.min(THROUGHPUT_BATCH, test.count);
    const pixels = test.images.subarray(0, batch * perImage);
    const throughput = await measureThroughput(() => classifier.probabilities(pixels, batch), {
      batch,
      seconds: 1,
    });
    return { latencyMs: latency.p50Ms, imagesPerSecond: throughput.imagesPerSecond, accuracy };
  } finally {
    await classifier.release();
  }
}
