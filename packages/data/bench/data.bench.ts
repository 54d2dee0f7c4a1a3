/**
 * `npm run bench:data [-- --json]`: how fast @cnnx/data parses Fashion-MNIST, feeds augmented batches and
 * prepares a photo of a digit, each next to a baseline measured in the same run (absolute figures on a
 * shared machine are noisy; the ratios are what to compare).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  batches,
  loadDataset,
  type PageImage,
  PREPARE_WORKING_SIZE,
  prepareDigit,
  prepareDigitImage,
  toFloat32,
} from '@cnnx/data';
import { build } from 'esbuild';
import sharp from 'sharp';
import { labelComponents } from '../src/page/components.js';
import { closing } from '../src/page/filters.js';
import { findRuledLines } from '../src/page/lines.js';

const json = process.argv.includes('--json');
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

/** Median wall time in ms of `runs` calls. */
async function time(runs: number, work: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * A photo as a phone takes it: blue ruled lines, a red margin, a digit in blue ink, a shadow across a
 * corner, sensor noise, JPEG at quality 90.
 */
async function ruledPhoto(width: number, height: number): Promise<Buffer> {
  let lines = '';
  for (let y = height / 20; y < height; y += height / 9) {
    lines += `<rect x="0" y="${y}" width="${width}" height="${height / 300}" fill="#7b9bd8"/>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="shadow" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#000" stop-opacity="0.45"/><stop offset="0.35" stop-color="#000" stop-opacity="0"/></linearGradient></defs>
  <rect width="100%" height="100%" fill="#f1ede2"/>${lines}
  <rect x="${width * 0.15}" y="0" width="${width / 250}" height="${height}" fill="#e06060"/>
  <text x="${width * 0.36}" y="${height * 0.75}" font-family="DejaVu Sans" font-size="${height * 0.6}" fill="#23398f">7</text>
  <rect width="100%" height="100%" fill="url(#shadow)"/></svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let state = 1;
  for (let i = 0; i < data.length; i += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = Math.max(0, Math.min(255, data[i]! + ((state >>> 24) % 9) - 4));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/**
 * The jobs of the page cleaning, by hand (typed arrays, O(pixels) filters) and by image-js 1.7 (when it is
 * installed) on the same working-size page: the paper estimate's closing by a square a quarter of the
 * side, finding ruled lines (our path openings; image-js: openings by a line three quarters of the side,
 * both directions), and connected components. Also the gzipped size of each in a browser bundle.
 */
async function compareWithImageJs(
  page: PageImage,
): Promise<{ lines: string[]; figures: Record<string, number> } | null> {
  let ij: typeof import('image-js');
  try {
    ij = await import('image-js');
  } catch {
    return null;
  }
  const { width, height } = page;
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i += 1) {
    gray[i] = Math.min(page.pixels[i * 3]!, page.pixels[i * 3 + 1]!, page.pixels[i * 3 + 2]!);
  }
  const radius = Math.round(Math.min(width, height) / 8);
  const square = Array.from({ length: 2 * radius + 1 }, () => new Array<number>(2 * radius + 1).fill(1));
  const image = new ij.Image(width, height, { colorModel: 'GREY', data: gray });
  const grayFloat = { data: Float32Array.from(gray), width, height };
  const closeOursMs = await time(7, () => closing(grayFloat, radius));
  const closeTheirsMs = await time(3, () => ij.close(image, { kernel: square }));
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i += 1) mask[i] = gray[i]! < 170 ? 1 : 0;
  const along = 2 * Math.round(0.375 * width) + 1;
  const across = 2 * Math.round(0.375 * height) + 1;
  const ijMask = new ij.Mask(width, height, { data: mask });
  const linesOursMs = await time(7, () => findRuledLines(mask, width, height));
  const linesTheirsMs = await time(3, () => {
    ij.open(ijMask, { kernel: [new Array<number>(along).fill(1)] });
    ij.open(ijMask, { kernel: Array.from({ length: across }, () => [1]) });
  });
  const ink = Float32Array.from(mask);
  const componentsOursMs = await time(7, () => labelComponents(mask, width, height, ink));
  const componentsTheirsMs = await time(7, () => ij.fromMask(ijMask).getRois());
  const bundled = async (contents: string): Promise<number> => {
    const result = await build({
      stdin: { contents, resolveDir: import.meta.dirname, loader: 'ts' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    return gzipSync(result.outputFiles[0]!.contents).length;
  };
  const oursBytes = await bundled("export { prepareDigitImage } from '../src/prepare-digit-pixels.js';");
  const theirsBytes = await bundled("export { close, open, fromMask } from 'image-js';");
  const row = (what: string, ours: number, theirs: number) =>
    `  ${what}: by hand ${ours.toFixed(2)} ms, image-js ${theirs.toFixed(2)} ms → image-js ×${(theirs / ours).toFixed(1)}`;
  return {
    lines: [
      `The page-cleaning jobs on the ${width}×${height} page, by hand vs image-js 1.7 (median of 3-7):`,
      row(`closing by a ${2 * radius + 1}×${2 * radius + 1} square`, closeOursMs, closeTheirsMs),
      row(`ruled lines (image-js: openings by ${along}×1 and 1×${across} lines)`, linesOursMs, linesTheirsMs),
      row('connected components', componentsOursMs, componentsTheirsMs),
      `  browser bundle, gzipped: the whole 28×28 preparation ${(oursBytes / 1000).toFixed(1)} kB; image-js's close, open and fromMask alone ${(theirsBytes / 1000).toFixed(1)} kB`,
    ],
    figures: {
      closeOursMs,
      closeTheirsMs,
      linesOursMs,
      linesTheirsMs,
      componentsOursMs,
      componentsTheirsMs,
      oursGzipBytes: oursBytes,
      imageJsGzipBytes: theirsBytes,
    },
  };
}

const system = '/usr/share/datasets/fashion-mnist';
const scratch = await mkdtemp(join(tmpdir(), 'cnnx-bench-data-'));
try {
  // 1. parsing Fashion-MNIST (60,000 training images)
  const gzFiles = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'].map((name) =>
    join(system, name),
  );
  const gunzipMs = await time(3, async () => {
    for (const file of gzFiles) gunzipSync(await readFile(file));
  });
  const parseGzMs = await time(3, () => loadDataset('fashion-mnist', { download: false }));
  const rawFolder = join(scratch, 'raw');
  await mkdir(rawFolder);
  for (const file of gzFiles) {
    await writeFile(
      join(rawFolder, file.split('/').pop()!.replace(/\.gz$/, '')),
      gunzipSync(await readFile(file)),
    );
  }
  const parseRawMs = await time(3, () => loadDataset(`idx:${rawFolder}`));
  log(`Fashion-MNIST train (60,000 images), median of 3:`);
  log(
    `  parse from gz:  ${parseGzMs.toFixed(0)} ms (target ≤ 500 ms); bare gunzip of the same files ${gunzipMs.toFixed(0)} ms → ×${(parseGzMs / gunzipMs).toFixed(2)}`,
  );
  log(`  parse from raw IDX: ${parseRawMs.toFixed(0)} ms`);

  // 2. batch iterator with augmentation
  const train = await loadDataset('fashion-mnist', { download: false });
  const augment = { shift: 2, rotate: 10, zoom: 0.1 };
  const epoch = (options: Parameters<typeof batches>[1]) => {
    let count = 0;
    for (const batch of batches(train, options)) count += batch.count;
    return count;
  };
  const augmentedMs = await time(3, () => epoch({ batchSize: 64, seed: 1, augment }));
  const plainMs = await time(3, () => epoch({ batchSize: 64, seed: 1 }));
  const floatMs = await time(3, () => toFloat32(train.images));
  const augmentedRate = train.count / (augmentedMs / 1000);
  log(`Batch iterator, batch 64, one epoch of 60,000, median of 3:`);
  log(
    `  with augmentation (shift 2, rotate 10°, zoom 0.1): ${Math.round(augmentedRate)} images/s (target ≥ 20,000)`,
  );
  log(
    `  without augmentation: ${Math.round(train.count / (plainMs / 1000))} images/s → augmentation costs ×${(augmentedMs / plainMs).toFixed(2)}`,
  );
  log(`  baseline, one toFloat32 of all 60,000: ${Math.round(train.count / (floatMs / 1000))} images/s`);

  // 3. prepareDigit on a 12-megapixel photo of blue ink on ruled paper, with a shadow and sensor noise
  const photo = await ruledPhoto(4000, 3000);
  const photoPath = join(scratch, 'seven.jpg');
  await writeFile(photoPath, photo);
  await prepareDigit(photoPath); // warm up sharp
  const prepareMs = await time(7, () => prepareDigit(photoPath));
  const workingMs = await time(7, () =>
    sharp(photoPath).resize(PREPARE_WORKING_SIZE, PREPARE_WORKING_SIZE, { fit: 'inside' }).raw().toBuffer(),
  );
  const working = await sharp(photoPath)
    .resize(PREPARE_WORKING_SIZE, PREPARE_WORKING_SIZE, { fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const page: PageImage = {
    pixels: new Uint8Array(working.data),
    width: working.info.width,
    height: working.info.height,
    channels: 3,
  };
  const coreMs = await time(15, () => prepareDigitImage(page));
  const decodeMs = await time(5, () => sharp(photoPath).raw().toBuffer());
  const prepared = await prepareDigit(photoPath);
  log(
    `prepareDigit on a 4000×3000 JPEG of ruled paper (${(photo.length / 1e6).toFixed(1)} MB), median of 7:`,
  );
  log(
    `  ${prepareMs.toFixed(1)} ms (target ≤ 150 ms): decoding to ${page.width}×${page.height} (JPEG shrink-on-load) ${workingMs.toFixed(1)} ms, cleaning the page and framing the digit ${coreMs.toFixed(1)} ms`,
  );
  log(
    `  baseline, sharp's full-size decode alone ${decodeMs.toFixed(1)} ms → prepareDigit ×${(prepareMs / decodeMs).toFixed(2)}`,
  );
  log(`  inverted ${prepared.inverted}, box ${JSON.stringify(prepared.box)}`);

  // 4. the page-cleaning stages, written by hand, against image-js doing the same jobs on the same page
  const imageJs = await compareWithImageJs(page);
  if (imageJs) for (const line of imageJs.lines) log(line);
  else log('image-js is not installed: `npm install --no-save image-js@1.7.0` to compare the stages with it');

  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          parse: { gzMs: parseGzMs, rawMs: parseRawMs, gunzipBaselineMs: gunzipMs, targetMs: 500 },
          batches: {
            augmentedImagesPerSecond: augmentedRate,
            plainImagesPerSecond: train.count / (plainMs / 1000),
            toFloat32ImagesPerSecond: train.count / (floatMs / 1000),
            target: 20_000,
          },
          prepareDigit: {
            ms: prepareMs,
            decodeToWorkingSizeMs: workingMs,
            coreMs,
            fullDecodeBaselineMs: decodeMs,
            targetMs: 150,
          },
          imageJs: imageJs?.figures ?? null,
        },
        null,
        2,
      )}\n`,
    );
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
