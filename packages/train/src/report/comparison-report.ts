import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { BASELINE_NAMES, BASELINES, type BaselineName } from '../baselines/baselines.js';
import { escapeHtml, renderPage } from './html.js';
import { renderSvg, svgToPng, writeAtomic } from './render.js';

/** One row of `cnnx compare`: a CNN preset or a classical baseline. Figures that do not apply are null. */
export interface ComparisonRow {
  name: string;
  kind: 'cnn' | 'baseline';
  parameters: number;
  trainSeconds: number;
  /** Training images per second (images × epochs / seconds); null for k-NN, which does not train. */
  trainImagesPerSecond: number | null;
  accuracy: number;
  loss: number | null;
  onnxBytes: number | null;
  /** Median onnxruntime-node latency of one image, milliseconds. */
  latencyMs: number | null;
  /** onnxruntime-node images per second at the throughput batch size. */
  imagesPerSecond: number | null;
}

/** The table's columns: heading and how a row's value prints. */
export const COMPARISON_COLUMNS: readonly { heading: string; format: (row: ComparisonRow) => string }[] = [
  { heading: 'model', format: (row) => row.name },
  { heading: 'kind', format: (row) => row.kind },
  { heading: 'parameters', format: (row) => row.parameters.toLocaleString('en-US') },
  { heading: 'train s', format: (row) => row.trainSeconds.toFixed(1) },
  {
    heading: 'train img/s',
    format: (row) => optional(row.trainImagesPerSecond, (value) => value.toFixed(0)),
  },
  { heading: 'test acc', format: (row) => `${(row.accuracy * 100).toFixed(2)}%` },
  { heading: 'test loss', format: (row) => optional(row.loss, (value) => value.toFixed(4)) },
  { heading: 'ONNX KiB', format: (row) => optional(row.onnxBytes, (value) => (value / 1024).toFixed(0)) },
  { heading: 'latency ms', format: (row) => optional(row.latencyMs, (value) => value.toFixed(3)) },
  { heading: 'ORT img/s', format: (row) => optional(row.imagesPerSecond, (value) => value.toFixed(0)) },
];

function optional(value: number | null, format: (value: number) => string): string {
  return value === null ? '—' : format(value);
}

/**
 * The comparison as an aligned text table for the terminal, one row per model.
 *
 * @example
 * console.log(formatComparisonTable(rows));
 * // model  kind  parameters  train s  …
 * // tiny   cnn       25,010     12.3  …
 */
export function formatComparisonTable(rows: readonly ComparisonRow[]): string {
  const cells = [
    COMPARISON_COLUMNS.map((column) => column.heading),
    ...rows.map((row) => COMPARISON_COLUMNS.map((column) => column.format(row))),
  ];
  const widths = COMPARISON_COLUMNS.map((_, index) =>
    Math.max(...cells.map((line) => (line[index] ?? '').length)),
  );
  return cells
    .map((line) =>
      line
        .map((cell, index) =>
          index < 2 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0),
        )
        .join('  '),
    )
    .join('\n');
}

/**
 * The rows as the notebook lists them: the baselines first under their scikit-learn names, then the CNNs,
 * each with its test accuracy to three decimals.
 *
 * @example
 * notebookRows(rows)[0]; // { model: 'SVC()', accuracy: '0.959', name: 'svc' }
 */
export function notebookRows(
  rows: readonly ComparisonRow[],
): { model: string; accuracy: string; name: string }[] {
  const baselines = rows.filter((row) => row.kind === 'baseline');
  const cnns = rows.filter((row) => row.kind === 'cnn');
  return [...baselines, ...cnns].map((row) => {
    const sklearn = (BASELINE_NAMES as readonly string[]).includes(row.name)
      ? BASELINES[row.name as BaselineName].sklearn
      : null;
    const model = row.kind === 'cnn' ? `${row.name} (CNN)` : (sklearn ?? `${row.name} (cnnx)`);
    return { model, accuracy: row.accuracy.toFixed(3), name: row.name };
  });
}

/**
 * The comparison as the notebook prints it: one line per model, scikit-learn's name and the accuracy.
 *
 * @example
 * console.log(formatNotebookTable(rows));
 * // model                                     accuracy
 * // LogisticRegression(max_iter=1000)            0.916
 * // SVC()                                        0.959
 * // tiny (CNN)                                   0.975
 */
export function formatNotebookTable(rows: readonly ComparisonRow[]): string {
  const lines = notebookRows(rows);
  const width = Math.max('model'.length, ...lines.map((line) => line.model.length)) + 2;
  return [
    `${'model'.padEnd(width)}accuracy`,
    ...lines.map((line) => `${line.model.padEnd(width)}${line.accuracy.padStart('accuracy'.length)}`),
  ].join('\n');
}

function tableChart(rows: readonly ComparisonRow[]): TopLevelSpec {
  const headings = COMPARISON_COLUMNS.map((column) => column.heading);
  const values = rows.flatMap((row) =>
    COMPARISON_COLUMNS.map((column) => ({
      model: row.name,
      column: column.heading,
      text: column.format(row),
    })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Model comparison',
    width: 92 * headings.length,
    height: 24 * rows.length,
    data: { values },
    mark: { type: 'text', fontSize: 12 },
    encoding: {
      x: {
        field: 'column',
        type: 'ordinal',
        sort: headings,
        title: null,
        axis: { orient: 'top', labelAngle: 0 },
      },
      y: { field: 'model', type: 'ordinal', sort: rows.map((row) => row.name), title: null, axis: null },
      text: { field: 'text', type: 'nominal' },
    },
    config: {
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      view: { stroke: null },
      background: 'white',
    },
  };
}

function accuracyChart(rows: readonly ComparisonRow[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Test accuracy',
    width: 360,
    height: 24 * rows.length,
    data: { values: rows.map((row) => ({ ...row, label: `${(row.accuracy * 100).toFixed(2)}%` })) },
    encoding: {
      y: { field: 'name', type: 'nominal', sort: rows.map((row) => row.name), title: null },
      x: {
        field: 'accuracy',
        type: 'quantitative',
        scale: { domain: [0, 1] },
        axis: { format: '.0%' },
        title: 'test accuracy',
      },
    },
    layer: [
      { mark: 'bar', encoding: { color: { field: 'kind', type: 'nominal', title: null } } },
      { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { text: { field: 'label' } } },
    ],
    config: {
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      view: { stroke: null },
      background: 'white',
    },
  };
}

/**
 * Writes `compare.json`, `compare.html` (self-contained), and the table and accuracy chart as
 * `compare-table.{svg,png}` and `compare-accuracy.{svg,png}` into `dir`.
 *
 * @example
 * await writeComparisonReport('runs/compare', rows, { dataset: 'mnist-sample', epochs: 1 });
 * // { files: ['compare-table.svg', 'compare-table.png', …, 'compare.json', 'compare.html'] }
 */
export async function writeComparisonReport(
  dir: string,
  rows: readonly ComparisonRow[],
  details: Record<string, string | number> = {},
): Promise<{ files: string[] }> {
  if (rows.length === 0) throw new RangeError(`'rows' is empty; expected at least one model`);
  const figures = [
    { name: 'compare-table', title: 'Comparison table', spec: tableChart(rows) },
    { name: 'compare-accuracy', title: 'Test accuracy', spec: accuracyChart(rows) },
  ];
  const files: string[] = [];
  const inlined: { title: string; name: string; dataUri: string }[] = [];
  for (const figure of figures) {
    const svg = await renderSvg(figure.spec);
    await writeAtomic(join(dir, `${figure.name}.svg`), svg);
    await writeAtomic(join(dir, `${figure.name}.png`), await svgToPng(svg));
    files.push(`${figure.name}.svg`, `${figure.name}.png`);
    inlined.push({
      title: figure.title,
      name: figure.name,
      dataUri: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
    });
  }
  await writeAtomic(join(dir, 'compare.json'), `${JSON.stringify({ ...details, rows }, null, 2)}\n`);
  files.push('compare.json');
  const header = COMPARISON_COLUMNS.map((column) => `<th>${escapeHtml(column.heading)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${COMPARISON_COLUMNS.map((column) => `<td>${escapeHtml(column.format(row))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const notebook = rows.some((row) => row.kind === 'baseline') ? notebookRows(rows) : [];
  const notebookTable = notebook.length
    ? `<section id="notebook"><h2>As the notebook prints it</h2><table class="summary"><tr><th>model</th><th>accuracy</th><th>cnnx row</th></tr>\n${notebook
        .map(
          (line) =>
            `<tr><td><code>${escapeHtml(line.model)}</code></td><td>${line.accuracy}</td><td>${escapeHtml(line.name)}</td></tr>`,
        )
        .join('\n')}</table></section>`
    : '';
  const html = renderPage({
    title: 'cnnx model comparison',
    summary: Object.entries(details).map(([key, value]): [string, string] => [key, String(value)]),
    figures: inlined,
    sections: [
      `<section id="table"><h2>Table</h2><table class="summary"><tr>${header}</tr>\n${body}</table></section>`,
      notebookTable,
    ].filter(Boolean),
  });
  await writeAtomic(join(dir, 'compare.html'), html);
  files.push('compare.html');
  return { files };
}
