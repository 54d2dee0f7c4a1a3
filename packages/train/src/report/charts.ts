import type { TopLevelSpec } from 'vega-lite';
import type { EvaluationMetrics } from '../metrics/types.js';
import type { HistoryEpoch } from './types.js';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const CONFIG = { font: FONT, view: { stroke: null }, background: 'white' } as const;

/**
 * Training against validation per epoch, for `loss` or `accuracy`, as a Vega-Lite line chart.
 *
 * @example
 * curveChart(history, 'loss'); // two lines, "training" and "validation", epoch on x
 */
export function curveChart(history: readonly HistoryEpoch[], metric: 'loss' | 'accuracy'): TopLevelSpec {
  const values = history.flatMap((entry) => {
    const validation = metric === 'loss' ? entry.valLoss : entry.valAccuracy;
    const rows = [{ epoch: entry.epoch, series: 'training', value: entry[metric] }];
    if (validation !== undefined) rows.push({ epoch: entry.epoch, series: 'validation', value: validation });
    return rows;
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: metric === 'loss' ? 'Loss per epoch' : 'Accuracy per epoch',
    width: 360,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: metric,
        scale: { zero: false },
        ...(metric === 'accuracy' ? { axis: { format: '.1%' } } : {}),
      },
      color: { field: 'series', type: 'nominal', title: null, sort: ['training', 'validation'] },
    },
    config: CONFIG,
  };
}

/**
 * The confusion matrix as an annotated heat map: true class down, predicted class across, each cell
 * labelled with its count.
 *
 * @example
 * confusionMatrixChart(metrics); // 10 × 10 cells for MNIST
 */
export function confusionMatrixChart(metrics: EvaluationMetrics): TopLevelSpec {
  const classNames = metrics.perClass.map((entry) => entry.label);
  const values = metrics.confusionMatrix.flatMap((row, truth) =>
    row.map((count, predicted) => ({
      truth: classNames[truth],
      predicted: classNames[predicted],
      count,
    })),
  );
  const largest = Math.max(1, ...values.map((value) => value.count));
  const cell = Math.max(18, Math.min(40, Math.floor(440 / classNames.length)));
  const axis = { labelAngle: 0 };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Confusion matrix',
    width: cell * classNames.length,
    height: cell * classNames.length,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: classNames, title: 'predicted', axis },
      y: { field: 'truth', type: 'ordinal', sort: classNames, title: 'true' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, title: 'images' },
        },
      },
      {
        mark: { type: 'text', fontSize: Math.min(12, cell / 2.5) },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${largest / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
    config: CONFIG,
  };
}

/**
 * The classification report as a table (one row per class, then the averages), each score cell
 * shaded by its value.
 *
 * @example
 * classificationReportChart(metrics, 2); // precision, recall, f1-score and support columns
 */
export function classificationReportChart(metrics: EvaluationMetrics, digits = 2): TopLevelSpec {
  const columns = ['precision', 'recall', 'f1-score', 'support'];
  const total = metrics.perClass.reduce((sum, entry) => sum + entry.support, 0);
  const rows: { name: string; scores: (number | null)[]; support: number }[] = [
    ...metrics.perClass.map((entry) => ({
      name: entry.label,
      scores: [entry.precision, entry.recall, entry.f1],
      support: entry.support,
    })),
    { name: 'accuracy', scores: [null, null, metrics.accuracy], support: total },
    {
      name: 'macro avg',
      scores: [metrics.macroAvg.precision, metrics.macroAvg.recall, metrics.macroAvg.f1],
      support: total,
    },
    {
      name: 'weighted avg',
      scores: [metrics.weightedAvg.precision, metrics.weightedAvg.recall, metrics.weightedAvg.f1],
      support: total,
    },
  ];
  const values = rows.flatMap((row) => [
    ...row.scores.map((score, index) => ({
      row: row.name,
      column: columns[index],
      score,
      text: score === null ? '' : score.toFixed(digits),
    })),
    { row: row.name, column: 'support', score: null, text: String(row.support) },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Classification report',
    width: 90 * columns.length,
    height: 22 * rows.length,
    data: { values },
    encoding: {
      x: {
        field: 'column',
        type: 'ordinal',
        sort: columns,
        title: null,
        axis: { orient: 'top', labelAngle: 0 },
      },
      y: { field: 'row', type: 'ordinal', sort: rows.map((row) => row.name), title: null },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'score',
            type: 'quantitative',
            scale: { domain: [0, 1], range: ['#ffffff', '#74c476'] },
            title: 'score',
          },
        },
      },
      { mark: { type: 'text', fontSize: 12 }, encoding: { text: { field: 'text', type: 'nominal' } } },
    ],
    config: CONFIG,
  };
}

/**
 * How many images each class has, per split, as grouped bars.
 *
 * @example
 * labelDistributionChart(['0', '1'], [{ split: 'test', labels: new Uint8Array([0, 1, 1]) }]);
 */
export function labelDistributionChart(
  classNames: readonly string[],
  splits: readonly { split: string; labels: Uint8Array }[],
): TopLevelSpec {
  const values = splits.flatMap(({ split, labels }) => {
    const counts = new Array<number>(classNames.length).fill(0);
    for (const label of labels) if (label < counts.length) counts[label] = (counts[label] as number) + 1;
    return counts.map((count, index) => ({ label: classNames[index], split, count }));
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Label distribution',
    width: Math.max(240, 36 * classNames.length),
    height: 200,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'label', type: 'ordinal', sort: [...classNames], title: 'class', axis: { labelAngle: 0 } },
      xOffset: { field: 'split', type: 'nominal' },
      y: { field: 'count', type: 'quantitative', title: 'images' },
      color: { field: 'split', type: 'nominal', title: 'split' },
      tooltip: [{ field: 'split' }, { field: 'label' }, { field: 'count' }],
    },
    config: CONFIG,
  };
}

/** One tile of an image grid: the picture (a data URI), its caption, and whether to mark it as wrong. */
export interface GridTile {
  url: string;
  caption: string;
  wrong: boolean;
}

/**
 * A grid of images, each titled with its caption (red when `wrong`), `columns` across.
 *
 * @example
 * imageGridChart('Test images', tiles, 84, 8); // "Pred 3 / True 3" over each digit
 */
export function imageGridChart(
  title: string,
  tiles: readonly GridTile[],
  size: number,
  columns: number,
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 14 },
    columns,
    spacing: 8,
    concat: tiles.map((tile) => ({
      title: {
        text: tile.caption,
        fontSize: 11,
        fontWeight: 'normal',
        color: tile.wrong ? '#c0392b' : '#222',
      },
      width: size,
      height: size,
      data: { values: [{ url: tile.url }] },
      mark: { type: 'image', width: size, height: size, aspect: false },
      encoding: {
        url: { field: 'url', type: 'nominal' },
        x: { value: size / 2 },
        y: { value: size / 2 },
      },
    })),
    config: CONFIG,
  };
}
