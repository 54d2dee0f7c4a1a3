import type * as tf from '@tensorflow/tfjs';

/** A layer's output shape as Keras prints it, `(None, 26, 26, 32)`; several shapes joined by commas. */
export function shapeText(shape: unknown): string {
  const shapes = Array.isArray(shape) && Array.isArray(shape[0]) ? shape : [shape];
  return shapes
    .map(
      (one) =>
        `(${(one as (number | null)[]).map((size) => (size === null ? 'None' : String(size))).join(', ')})`,
    )
    .join(', ');
}

/**
 * The table of a Keras-style summary: its rules, the header, one line a layer (each column padded to its widest
 * cell plus two), then the parameter totals.
 *
 * @example
 * summaryTable(['Layer (type)', 'Param #'], [['dense (Dense)', '1,290']], { total: 1290, trainable: 1290 });
 */
export function summaryTable(
  header: string[],
  rows: string[][],
  params: { total: number; trainable: number },
): string[] {
  const widths = header.map(
    (title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)) + 2,
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('')
      .trimEnd();
  const width = widths.reduce((sum, size) => sum + size, 0);
  return [
    '_'.repeat(width),
    line(header),
    '='.repeat(width),
    ...rows.map(line),
    '='.repeat(width),
    `Total params: ${params.total.toLocaleString('en-US')}`,
    `Trainable params: ${params.trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(params.total - params.trainable).toLocaleString('en-US')}`,
    '_'.repeat(width),
  ];
}

/**
 * The model's layer table as Keras's `model.summary()` prints it: each layer's name and class, its
 * output shape, its parameter count (and, for graphs, what feeds it), then the totals.
 *
 * @example
 * console.log(formatModelSummary(buildModel('tiny', { inputShape: [28, 28, 1], numClasses: 10 })));
 * // Layer (type)                 Output Shape          Param #
 * // conv2d_Conv2D1 (Conv2D)      (None, 26, 26, 32)    320
 * // …
 * // Total params: 176,170
 */
export function formatModelSummary(model: tf.LayersModel): string {
  const graph = model.getClassName() !== 'Sequential';
  const rows: string[][] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer' && !graph) continue;
    const feeds = layer.inboundNodes
      .flatMap((node) => node.inboundLayers.map((inbound) => inbound.name))
      .join(', ');
    const row = [
      `${layer.name} (${layer.getClassName()})`,
      shapeText(layer.outputShape),
      layer.countParams().toLocaleString('en-US'),
    ];
    if (graph) row.push(feeds);
    rows.push(row);
  }
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(graph ? ['Connected to'] : [])];
  const trainable = model.trainableWeights.reduce(
    (sum, weight) => sum + weight.shape.reduce<number>((product, size) => product * (size ?? 1), 1),
    0,
  );
  return [
    `Model: "${model.name}"`,
    ...summaryTable(header, rows, { total: model.countParams(), trainable }),
  ].join('\n');
}
