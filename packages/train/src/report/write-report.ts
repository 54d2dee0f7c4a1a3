import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { argmaxRows } from '../metrics/confusion-matrix.js';
import { formatClassificationReport } from '../metrics/format.js';
import type { EvaluationMetrics } from '../metrics/types.js';
import {
  classificationReportChart,
  confusionMatrixChart,
  curveChart,
  type GridTile,
  imageGridChart,
  labelDistributionChart,
} from './charts.js';
import { renderPage } from './html.js';
import { imageDataUri } from './images.js';
import { renderSvg, svgToPng, writeAtomic } from './render.js';
import type { ReportFigure, ReportInput, ReportSamples, WrittenReport } from './types.js';

interface PlannedFigure {
  name: string;
  title: string;
  spec: TopLevelSpec;
}

/**
 * Writes a report folder: `report.html` (one self-contained page, every figure inlined, opens offline)
 * and each figure as `<name>.svg` and `<name>.png`: loss and accuracy curves (with `history`), the
 * confusion matrix heat map, the classification report table, the label distribution, and (with
 * `samples`) a grid of test images titled "Pred / True" and the most confident mistakes. Figures are
 * Vega-Lite charts rendered to SVG by vega on the server; PNGs come from the SVG through sharp.
 * Every file is written to a temporary name and renamed into place.
 *
 * @example
 * const written = await writeReport('runs/quickstart', { metrics, history, samples });
 * written.files; // ['loss-curve.svg', 'loss-curve.png', …, 'report.html']
 */
export async function writeReport(dir: string, input: ReportInput): Promise<WrittenReport> {
  const { metrics } = input;
  const classNames = metrics.perClass.map((entry) => entry.label);
  if (input.samples) checkSamples(input.samples, classNames.length);

  const planned: PlannedFigure[] = [];
  if (input.history && input.history.length > 0) {
    planned.push({ name: 'loss-curve', title: 'Loss per epoch', spec: curveChart(input.history, 'loss') });
    planned.push({
      name: 'accuracy-curve',
      title: 'Accuracy per epoch',
      spec: curveChart(input.history, 'accuracy'),
    });
  }
  planned.push({ name: 'confusion-matrix', title: 'Confusion matrix', spec: confusionMatrixChart(metrics) });
  planned.push({
    name: 'classification-report',
    title: 'Classification report',
    spec: classificationReportChart(metrics),
  });
  if (input.samples) {
    const grid = await testImageTiles(input.samples, classNames, input.gridSize ?? 32);
    planned.push({
      name: 'test-images',
      title: 'Test images (Pred / True)',
      spec: imageGridChart('Test images: Pred / True', grid, 72, 8),
    });
    const mistakes = await mistakeTiles(input.samples, classNames, input.mistakes ?? 16);
    if (mistakes.length > 0) {
      planned.push({
        name: 'confident-mistakes',
        title: 'Most confident mistakes',
        spec: imageGridChart('Most confident mistakes: Pred (probability) / True', mistakes, 72, 8),
      });
    }
  }
  const splits = input.labelCounts ?? [{ split: 'evaluated', labels: supportLabels(metrics) }];
  planned.push({
    name: 'label-distribution',
    title: 'Label distribution',
    spec: labelDistributionChart(classNames, splits),
  });

  const figures: ReportFigure[] = [];
  const inlined: { title: string; name: string; dataUri: string }[] = [];
  const files: string[] = [];
  for (const figure of planned) {
    const svg = await renderSvg(figure.spec);
    const png = await svgToPng(svg);
    await writeAtomic(join(dir, `${figure.name}.svg`), svg);
    await writeAtomic(join(dir, `${figure.name}.png`), png);
    files.push(`${figure.name}.svg`, `${figure.name}.png`);
    figures.push({
      name: figure.name,
      title: figure.title,
      svg: `${figure.name}.svg`,
      png: `${figure.name}.png`,
    });
    inlined.push({
      title: figure.title,
      name: figure.name,
      dataUri: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
    });
  }

  const html = renderPage({
    title: input.title ?? 'cnnx evaluation report',
    summary: summaryRows(metrics, input.details),
    reportText: formatClassificationReport(metrics, 4),
    figures: inlined,
  });
  await writeAtomic(join(dir, 'report.html'), html);
  files.push('report.html');
  return { html: 'report.html', figures, files };
}

function checkSamples(samples: ReportSamples, classes: number): void {
  const [height, width, channels] = samples.shape;
  const count = samples.labels.length;
  if (samples.images.length !== count * height * width * channels) {
    throw new RangeError(
      `'samples.images' has ${samples.images.length} bytes; expected ${count} images × ${height}×${width}×${channels}`,
    );
  }
  if (samples.probabilities.length !== count * classes) {
    throw new RangeError(
      `'samples.probabilities' has ${samples.probabilities.length} values; expected ${count} images × ${classes} classes`,
    );
  }
}

/** Labels reconstructed from the metrics' supports, for the distribution chart when none are given. */
function supportLabels(metrics: EvaluationMetrics): Uint8Array {
  const labels = new Uint8Array(metrics.count);
  let offset = 0;
  metrics.perClass.forEach((entry, index) => {
    labels.fill(index, offset, offset + entry.support);
    offset += entry.support;
  });
  return labels;
}

async function testImageTiles(
  samples: ReportSamples,
  classNames: string[],
  size: number,
): Promise<GridTile[]> {
  const predicted = argmaxRows(samples.probabilities, classNames.length);
  const tiles: GridTile[] = [];
  const count = samples.labels.length;
  const shown = Math.min(size, count);
  // Evenly spaced over the set, so a set stored class by class still shows every class.
  for (let k = 0; k < shown; k++) {
    const index = Math.floor((k * count) / shown);
    const guess = predicted[index] as number;
    const truth = samples.labels[index] as number;
    tiles.push({
      url: await imageDataUri(samples.images, samples.shape, index),
      caption: `Pred ${classNames[guess]} / True ${classNames[truth]}`,
      wrong: guess !== truth,
    });
  }
  return tiles;
}

async function mistakeTiles(samples: ReportSamples, classNames: string[], size: number): Promise<GridTile[]> {
  const classes = classNames.length;
  const predicted = argmaxRows(samples.probabilities, classes);
  const mistakes: { index: number; confidence: number }[] = [];
  predicted.forEach((guess, index) => {
    if (guess !== samples.labels[index]) {
      mistakes.push({ index, confidence: samples.probabilities[index * classes + guess] as number });
    }
  });
  mistakes.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  const tiles: GridTile[] = [];
  for (const { index, confidence } of mistakes.slice(0, size)) {
    tiles.push({
      url: await imageDataUri(samples.images, samples.shape, index),
      caption: `Pred ${classNames[predicted[index] as number]} (${(confidence * 100).toFixed(0)}%) / True ${classNames[samples.labels[index] as number]}`,
      wrong: true,
    });
  }
  return tiles;
}

function summaryRows(
  metrics: EvaluationMetrics,
  details: Record<string, string | number> | undefined,
): [string, string][] {
  return [
    ...Object.entries(details ?? {}).map(([key, value]): [string, string] => [key, String(value)]),
    ['images', String(metrics.count)],
    ['loss', metrics.loss.toFixed(4)],
    ['accuracy', `${(metrics.accuracy * 100).toFixed(2)}%`],
    ['top-3 accuracy', `${(metrics.top3Accuracy * 100).toFixed(2)}%`],
  ];
}
