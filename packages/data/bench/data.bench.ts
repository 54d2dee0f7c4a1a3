/**
 * `npm run bench:data [-- --json]`: how fast @cnnx/data parses Fashion-MNIST, feeds augmented batches and
 * prepares a photo of a digit, each next to a baseline measured in the same run (absolute figures on a
 * shared machine are noisy; the ratios are what to compare).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { batches, loadDataset, prepareDigit, toFloat32 } from '@cnnx/data';
import sharp from 'sharp';

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

  // 3. prepareDigit on a 4000×3000 JPEG photo-like image
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000">
  <defs><linearGradient id="light" x1="0" x2="1"><stop offset="0" stop-color="#9a968c"/><stop offset="1" stop-color="#f3efe6"/></linearGradient></defs>
  <rect width="100%" height="100%" fill="url(#light)"/>
  <text x="1300" y="2500" font-family="DejaVu Sans" font-size="2200" fill="#262626">7</text></svg>`;
  const photo = await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
  const photoPath = join(scratch, 'seven.jpg');
  await writeFile(photoPath, photo);
  await prepareDigit(photoPath); // warm up sharp
  const prepareMs = await time(5, () => prepareDigit(photoPath));
  const decodeMs = await time(5, () => sharp(photoPath).raw().toBuffer());
  const prepared = await prepareDigit(photoPath);
  log(`prepareDigit on a 4000×3000 JPEG (${(photo.length / 1e6).toFixed(1)} MB), median of 5:`);
  log(
    `  ${prepareMs.toFixed(1)} ms (target ≤ 100 ms); sharp's full-size decode alone ${decodeMs.toFixed(1)} ms → ×${(prepareMs / decodeMs).toFixed(2)}`,
  );
  log(`  inverted ${prepared.inverted}, box ${JSON.stringify(prepared.box)}`);

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
          prepareDigit: { ms: prepareMs, fullDecodeBaselineMs: decodeMs, targetMs: 100 },
        },
        null,
        2,
      )}\n`,
    );
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
