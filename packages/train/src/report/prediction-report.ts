import { join } from 'node:path';
import sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite';
import { renderPage } from './html.js';
import { pixelsDataUri } from './images.js';
import { renderSvg, svgToPng, writeAtomic } from './render.js';

/** One image given to `cnnx predict`, and what the model made of it. */
export interface PredictionItem {
  /** Where the image came from (file name), shown as its title. */
  name: string;
  /** The decoded input image, 0-255, row-major, `channels` values per pixel (1, 3 or 4). */
  image: { pixels: Uint8Array; width: number; height: number; channels: number };
  /**
   * The cleaned page the digit was taken from (gray, 0-255): what the preparation kept as the digit's ink,
   * and what it dropped as printed lines, shadows and specks. Shown between the input and the 28×28 image.
   */
  page?: { pixels: Uint8Array; width: number; height: number };
  /** The 28×28 grayscale image the model saw after preparation (0-255). */
  prepared: { pixels: Uint8Array; width: number; height: number };
  /** The best classes, best first (usually three). */
  top: { label: string; probability: number }[];
}

const SIZE = 112;

/**
 * Writes `predictions.html` (self-contained), `predictions.svg` and `predictions.png` into `dir`: for
 * each image, the input as given, the cleaned page when given (`page`), the 28×28 image the model saw,
 * and its top classes with probabilities.
 *
 * @example
 * await writePredictionReport('runs/predict', [{
 *   name: 'seven.png',
 *   image: { pixels: rgba, width: 200, height: 200, channels: 4 },
 *   prepared: { pixels: prepared.pixels, width: 28, height: 28 },
 *   top: [{ label: '7', probability: 0.97 }, { label: '1', probability: 0.02 }, { label: '9', probability: 0.01 }],
 * }]);
 * // { files: ['predictions.svg', 'predictions.png', 'predictions.html'] }
 */
export async function writePredictionReport(
  dir: string,
  items: readonly PredictionItem[],
): Promise<{ files: string[] }> {
  if (items.length === 0) throw new RangeError(`'items' is empty; expected at least one prediction`);
  const rows: TopLevelSpec[] = [];
  for (const [index, item] of items.entries()) {
    const { image, prepared } = item;
    if (image.pixels.length !== image.width * image.height * image.channels) {
      throw new RangeError(
        `'items'[${index}].image has ${image.pixels.length} values; expected ${image.width}×${image.height}×${image.channels}`,
      );
    }
    if (prepared.pixels.length !== prepared.width * prepared.height) {
      throw new RangeError(
        `'items'[${index}].prepared has ${prepared.pixels.length} values; expected ${prepared.width}×${prepared.height}`,
      );
    }
    const original = await thumbnail(image);
    const { page } = item;
    if (page && page.pixels.length !== page.width * page.height) {
      throw new RangeError(
        `'items'[${index}].page has ${page.pixels.length} values; expected ${page.width}×${page.height}`,
      );
    }
    const cleaned = page ? await thumbnail({ ...page, channels: 1 }) : null;
    const seen = await pixelsDataUri(
      prepared.pixels,
      prepared.width,
      prepared.height,
      1,
      SIZE / prepared.width,
    );
    rows.push(predictionRow(item, original, cleaned, seen));
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: items.some((item) => item.page)
        ? 'Predictions: input, cleaned page, what the model saw (28×28), top classes'
        : 'Predictions: input, what the model saw (28×28), top classes',
      anchor: 'start',
    },
    vconcat: rows,
    spacing: 16,
    config: {
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      view: { stroke: null },
      background: 'white',
    },
  } as TopLevelSpec;
  const svg = await renderSvg(spec);
  await writeAtomic(join(dir, 'predictions.svg'), svg);
  await writeAtomic(join(dir, 'predictions.png'), await svgToPng(svg));
  const html = renderPage({
    title: 'cnnx predictions',
    summary: items.map((item): [string, string] => [
      item.name,
      item.top.map((entry) => `${entry.label} ${(entry.probability * 100).toFixed(1)}%`).join(', '),
    ]),
    figures: [
      {
        title: 'Input, prepared 28×28 image and top classes',
        name: 'predictions',
        dataUri: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
      },
    ],
  });
  await writeAtomic(join(dir, 'predictions.html'), html);
  return { files: ['predictions.svg', 'predictions.png', 'predictions.html'] };
}

/** The input image fitted into SIZE × SIZE (aspect kept) as a PNG data URI. */
async function thumbnail(image: PredictionItem['image']): Promise<string> {
  const channels = image.channels as 1 | 3 | 4;
  const png = await sharp(Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.length), {
    raw: { width: image.width, height: image.height, channels },
  })
    .resize(SIZE, SIZE, { fit: 'contain', background: { r: 255, g: 255, b: 255, alpha: 1 } })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

function imageCell(title: string, url: string): TopLevelSpec {
  return {
    title: { text: title, fontSize: 11, fontWeight: 'normal' },
    width: SIZE,
    height: SIZE,
    data: { values: [{ url }] },
    mark: { type: 'image', width: SIZE, height: SIZE },
    encoding: { url: { field: 'url', type: 'nominal' }, x: { value: SIZE / 2 }, y: { value: SIZE / 2 } },
  } as TopLevelSpec;
}

function predictionRow(
  item: PredictionItem,
  original: string,
  cleaned: string | null,
  seen: string,
): TopLevelSpec {
  const values = item.top.map((entry, rank) => ({
    ...entry,
    rank,
    text: `${(entry.probability * 100).toFixed(1)}%`,
  }));
  return {
    title: { text: item.name, anchor: 'start', fontSize: 13 },
    hconcat: [
      imageCell('input', original),
      ...(cleaned ? [imageCell('cleaned page', cleaned)] : []),
      imageCell('model input (28×28)', seen),
      {
        title: { text: `top ${item.top.length}`, fontSize: 11, fontWeight: 'normal' },
        width: 220,
        height: SIZE,
        data: { values },
        encoding: {
          // `op` spelled out: the bar and text layers then share one sort, and vega-lite does not warn
          y: { field: 'label', type: 'nominal', sort: { field: 'rank', op: 'min' }, title: null },
          x: {
            field: 'probability',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
        },
        layer: [
          { mark: { type: 'bar', color: '#4c78a8' } },
          { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { text: { field: 'text' } } },
        ],
      },
    ],
  } as TopLevelSpec;
}
