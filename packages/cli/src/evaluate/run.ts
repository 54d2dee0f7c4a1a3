import { join } from 'node:path';
import { type Dataset, loadDataset, writeFolderAtomic } from '@cnnx/data';
import { Classifier } from '@cnnx/runtime';
import {
  type EvaluationMetrics,
  evaluatePredictions,
  formatClassificationReport,
  predict,
  writeReport,
} from '@cnnx/train';
import { CliError } from '../errors.js';
import { printJson, say } from '../io.js';
import { type LayersLocation, openLayersModel } from '../layers-model.js';
import { locateModel } from '../model-location.js';
import { checkOutputPath, isCnnxReportFolder, isFigureName } from '../output-paths.js';

/** The options of `cnnx evaluate`, as commander parses them. */
export interface EvaluateOptions {
  model: string;
  dataset: string;
  split: 'train' | 'test';
  seed: number;
  json?: boolean;
  report?: string;
  dataDir?: string;
  force?: boolean;
  batchSize: number;
  inputScale?: string;
}

/** What `--report` refreshes without `--force`: a folder holding only an earlier evaluation report. */
export const OWN_REPORT = 'an earlier cnnx evaluation report';

function isEvaluationReport(folder: string): Promise<boolean> {
  return isCnnxReportFolder(folder, 'report.html', (name) => name === 'report.html' || isFigureName(name));
}

/**
 * Scores a model on a dataset split and prints the classification report (stderr) or the metrics
 * as JSON (stdout); writes a report folder when asked.
 *
 * @example
 * await runEvaluate({ model: 'runs/quickstart/model.onnx', dataset: 'mnist-sample', split: 'test', seed: 42, batchSize: 256 });
 * // prints "test accuracy 98.40% …" and the classification report
 */
export async function runEvaluate(options: EvaluateOptions): Promise<EvaluationMetrics> {
  if (options.report) {
    await checkOutputPath({
      flag: '--report',
      path: options.report,
      kind: 'folder',
      force: Boolean(options.force),
      isOwnOutput: isEvaluationReport,
      ownOutput: OWN_REPORT,
    });
  }
  const location = await locateModel(options.model);
  // sets without a test split of their own score the quickstart's seeded stratified 85/15 (`loadDataset`'s seed)
  const dataset = await loadDataset(options.dataset, {
    split: options.split,
    seed: options.seed,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  const probabilities =
    location.kind === 'onnx'
      ? await predictWithOnnx(location.file, dataset, options)
      : await predictWithLayers(location, dataset, options);
  const metrics = evaluatePredictions(probabilities, dataset.labels, dataset.classNames);

  const where = location.kind === 'tfjs' ? location.dir : location.file;
  say(
    `${options.split} loss ${metrics.loss.toFixed(4)}, accuracy ${(metrics.accuracy * 100).toFixed(2)}%, top-3 ${(metrics.top3Accuracy * 100).toFixed(2)}% on ${metrics.count} images of ${options.dataset} (${location.kind} ${where})\n`,
  );
  say(formatClassificationReport(metrics));
  if (options.report) {
    const report = {
      title: `Evaluation of ${where} on ${options.dataset} (${options.split})`,
      metrics,
      samples: { images: dataset.images, shape: shapeOf(dataset), labels: dataset.labels, probabilities },
      labelCounts: [{ split: options.split, labels: dataset.labels }],
    };
    let files = 0;
    await writeFolderAtomic(
      options.report,
      async (folder) => {
        files = (await writeReport(folder, report)).files.length;
      },
      { merge: true },
    );
    say(`wrote ${files} files to ${options.report}/ (open ${join(options.report, 'report.html')})`);
  }
  if (options.json) printJson(toJson(metrics));
  return metrics;
}

/** The metrics in the documented `--json` order. */
function toJson(metrics: EvaluationMetrics): Record<string, unknown> {
  return {
    count: metrics.count,
    loss: metrics.loss,
    accuracy: metrics.accuracy,
    top3Accuracy: metrics.top3Accuracy,
    confusionMatrix: metrics.confusionMatrix,
    perClass: metrics.perClass.map(({ label, precision, recall, f1, support }) => ({
      label,
      precision,
      recall,
      f1,
      support,
    })),
    macroAvg: metrics.macroAvg,
    weightedAvg: metrics.weightedAvg,
  };
}

function shapeOf(dataset: Dataset): [number, number, number] {
  const [height = 0, width = 0, channels = 1] = dataset.shape;
  return [height, width, channels];
}

function describeShape(shape: readonly (number | string | null | undefined)[]): string {
  return shape.map((size) => (typeof size === 'number' ? size : '?')).join('×');
}

function mismatch(model: string, modelShape: string, modelClasses: number, dataset: Dataset): CliError {
  return new CliError(
    `model ${model} takes ${modelShape} images with ${modelClasses} classes but dataset ${dataset.source.spec} has ${describeShape(dataset.shape)} images with ${dataset.classNames.length} classes`,
  );
}

async function predictWithLayers(
  location: LayersLocation,
  dataset: Dataset,
  options: EvaluateOptions,
): Promise<Float32Array> {
  const { model, inputScale: scale } = await openLayersModel(location, options);
  const where = location.kind === 'tfjs' ? location.dir : location.file;
  try {
    const inputShape = (model.inputs[0]?.shape ?? []).slice(1);
    const outputShape = model.outputs[0]?.shape ?? [];
    const classes = outputShape.at(-1) ?? 0;
    const sameImages =
      inputShape.length === 3 &&
      inputShape.every((size, axis) => size === null || size === dataset.shape[axis]);
    if (!sameImages || outputShape.length !== 2 || classes !== dataset.classNames.length) {
      throw mismatch(where, describeShape(inputShape), classes ?? 0, dataset);
    }
    return await predict(model, dataset.images, shapeOf(dataset), { ...options, inputScale: scale });
  } finally {
    model.dispose();
  }
}

async function predictWithOnnx(
  file: string,
  dataset: Dataset,
  { batchSize, inputScale: scale }: EvaluateOptions,
): Promise<Float32Array> {
  const classifier = await Classifier.load(file, { device: 'cpu', inputScale: scale });
  try {
    const output = classifier.info.outputs[0];
    const shape = output?.shape ?? [];
    const classes = shape[1];
    if (shape.length !== 2 || typeof classes !== 'number') {
      throw new CliError(
        `${file} output "${output?.name ?? '?'}" has shape [${shape.join(', ')}]; expected a class vector [batch, classes]`,
      );
    }
    const image = classifier.info.image;
    const [height, width, channels = 1] = dataset.shape;
    if (!image || image.height !== height || image.width !== width || image.channels !== channels) {
      const modelShape = image ? `${image.height}×${image.width}×${image.channels}` : 'non-image';
      throw mismatch(file, modelShape, classes, dataset);
    }
    if (classes !== dataset.classNames.length) {
      throw mismatch(file, `${image.height}×${image.width}×${image.channels}`, classes, dataset);
    }
    const perImage = height * width * channels;
    const probabilities = new Float32Array(dataset.count * classes);
    for (let start = 0; start < dataset.count; start += batchSize) {
      const count = Math.min(batchSize, dataset.count - start);
      const pixels = dataset.images.subarray(start * perImage, (start + count) * perImage);
      probabilities.set(await classifier.probabilities(pixels, count), start * classes);
    }
    return probabilities;
  } finally {
    await classifier.release();
  }
}
