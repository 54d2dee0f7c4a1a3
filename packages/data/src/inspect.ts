import sharp from 'sharp';
import { pixelStatistics } from './tensors.js';
import type { Dataset, DatasetSplit } from './types.js';

/** What `cnnx data inspect --json` prints. */
export interface DatasetSummary {
  spec: string;
  split?: DatasetSplit;
  count: number;
  shape: [number, number, number];
  classNames: string[];
  perClass: { label: string; count: number }[];
  pixel: { min: number; max: number; mean: number; std: number };
}

/**
 * Counts per class, image shape and pixel statistics (0-255) of a dataset.
 *
 * @example
 * summarizeDataset(await loadDataset('mnist-sample')).perClass[0]; // { label: '0', count: 1001 }
 */
export function summarizeDataset(dataset: Dataset): DatasetSummary {
  const counts = new Array<number>(dataset.classNames.length).fill(0);
  for (const label of dataset.labels) counts[label] = (counts[label] ?? 0) + 1;
  return {
    spec: dataset.source.spec,
    ...(dataset.source.split ? { split: dataset.source.split } : {}),
    count: dataset.count,
    shape: dataset.shape,
    classNames: dataset.classNames,
    perClass: dataset.classNames.map((label, index) => ({ label, count: counts[index] ?? 0 })),
    pixel: pixelStatistics(dataset.images),
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A PNG grid of sample images: one row per class, up to `perClass` each, enlarged, class names on the left.
 *
 * @example
 * await writeFile('samples.png', await renderSampleGrid(await loadDataset('mnist-sample')));
 */
export async function renderSampleGrid(dataset: Dataset, perClass = 10): Promise<Buffer> {
  const [height, width, channels] = dataset.shape;
  const zoom = Math.max(1, Math.round(56 / Math.max(height, width)));
  const cellW = width * zoom + 4;
  const cellH = height * zoom + 4;
  const margin = 120;
  const rows = dataset.classNames.length;
  const gridW = margin + perClass * cellW;
  const gridH = rows * cellH;
  const pixels = Buffer.alloc(gridW * gridH * 3, 255);
  const filled = new Array<number>(rows).fill(0);
  const size = height * width * channels;
  for (let index = 0; index < dataset.count; index += 1) {
    const label = dataset.labels[index]!;
    const column = filled[label]!;
    if (column >= perClass) continue;
    filled[label] = column + 1;
    const image = dataset.images.subarray(index * size, (index + 1) * size);
    for (let y = 0; y < height * zoom; y += 1) {
      for (let x = 0; x < width * zoom; x += 1) {
        const source = (Math.floor(y / zoom) * width + Math.floor(x / zoom)) * channels;
        const target = ((label * cellH + 2 + y) * gridW + margin + column * cellW + 2 + x) * 3;
        for (let c = 0; c < 3; c += 1) pixels[target + c] = image[source + (channels === 3 ? c : 0)]!;
      }
    }
  }
  const labels = dataset.classNames
    .map(
      (name, row) =>
        `<text x="${margin - 8}" y="${row * cellH + cellH / 2 + 5}" text-anchor="end" font-family="DejaVu Sans" font-size="14">${escapeXml(name)}</text>`,
    )
    .join('');
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="${gridW}" height="${gridH}">${labels}</svg>`;
  return sharp(pixels, { raw: { width: gridW, height: gridH, channels: 3 } })
    .composite([{ input: Buffer.from(overlay), top: 0, left: 0 }])
    .png()
    .toBuffer();
}

/**
 * A PNG bar chart of the label counts of {@link summarizeDataset}'s summary.
 *
 * @example
 * await writeFile('label-histogram.png', await renderLabelHistogram(summarizeDataset(dataset)));
 */
export async function renderLabelHistogram(summary: DatasetSummary): Promise<Buffer> {
  const barW = 48;
  const chartH = 260;
  const left = 60;
  const width = left + summary.perClass.length * barW + 20;
  const height = chartH + 110;
  const max = Math.max(1, ...summary.perClass.map((entry) => entry.count));
  const bars = summary.perClass
    .map((entry, index) => {
      const h = (entry.count / max) * (chartH - 30);
      const x = left + index * barW + 6;
      const y = 20 + chartH - 30 - h + 10;
      const cx = x + (barW - 12) / 2;
      return (
        `<rect x="${x}" y="${y}" width="${barW - 12}" height="${h}" fill="#4c78a8"/>` +
        `<text x="${cx}" y="${y - 4}" text-anchor="middle" font-size="11">${entry.count}</text>` +
        `<text x="${cx}" y="${chartH + 18}" text-anchor="end" font-size="12" transform="rotate(-40 ${cx} ${chartH + 18})">${escapeXml(entry.label)}</text>`
      );
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${width / 2}" y="16" text-anchor="middle" font-size="14">${escapeXml(`${summary.spec}${summary.split ? ` (${summary.split})` : ''}: ${summary.count} images`)}</text>
<line x1="${left - 4}" y1="${chartH}" x2="${width - 10}" y2="${chartH}" stroke="#333"/>${bars}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
