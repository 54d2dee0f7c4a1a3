import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import {
  augmentImage,
  augments,
  batches,
  createRandom,
  type Dataset,
  DatasetFormatError,
  DatasetNotFoundError,
  encodeIdx,
  encodeNpy,
  loadDataset,
  scaleTable,
  standardization,
} from '../src/index.js';
import { renderDigit } from './digit-fixtures.js';

let folder = '';
const count = 12;
const random = createRandom(99);
const images = Uint8Array.from({ length: count * 784 }, () => random.integer(256));
const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-formats-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function assertFormatError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DatasetFormatError, `expected DatasetFormatError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

function assertSameData(dataset: Dataset, what: string): void {
  assert.equal(dataset.count, count, what);
  assert.deepEqual(dataset.shape, [28, 28, 1], what);
  assert.deepEqual([...dataset.images], [...images], what);
  assert.deepEqual([...dataset.labels], [...labels], what);
}

describe('IDX', () => {
  it('loads a folder of four files, gz or raw, by split, and an images file with its labels', async () => {
    const idxFolder = join(folder, 'idx');
    await mkdir(idxFolder);
    await writeFile(
      join(idxFolder, 'train-images-idx3-ubyte.gz'),
      gzipSync(encodeIdx([count, 28, 28], images)),
    );
    await writeFile(join(idxFolder, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([count], labels)));
    await writeFile(
      join(idxFolder, 't10k-images-idx3-ubyte'),
      encodeIdx([2, 28, 28], images.subarray(0, 1568)),
    );
    await writeFile(join(idxFolder, 't10k-labels-idx1-ubyte'), encodeIdx([2], labels.subarray(0, 2)));
    const train = await loadDataset(`idx:${idxFolder}`);
    assertSameData(train, 'idx train (gz)');
    assert.equal(train.source.split, 'train');
    assert.equal(train.source.files.length, 2);
    assert.deepEqual(train.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const test = await loadDataset(`idx:${idxFolder}`, { split: 'test' });
    assert.equal(test.count, 2);
    const byFile = await loadDataset(`idx:${join(idxFolder, 'train-images-idx3-ubyte.gz')}`);
    assertSameData(byFile, 'idx by file');
  });

  it('rejects a truncated gz, a wrong magic, truncated values and mismatched counts', async () => {
    const bad = join(folder, 'bad-idx');
    await mkdir(bad);
    const goodLabels = encodeIdx([count], labels);
    const cases: [string, Uint8Array, Uint8Array, RegExp][] = [
      [
        'truncated-gz',
        gzipSync(encodeIdx([count, 28, 28], images)).subarray(0, 4000),
        goodLabels,
        /train-images-idx3-ubyte\.gz: is a truncated or corrupt gzip file/,
      ],
      ['magic', encodeIdx([count], labels), goodLabels, /magic number 2049, expected 2051/],
      [
        'short',
        encodeIdx([count, 28, 28], images).subarray(0, 2000),
        goodLabels,
        /holds 1984 bytes of values, its header \(12×28×28\) says 9408 \(truncated\)/,
      ],
      [
        'counts',
        encodeIdx([count, 28, 28], images),
        encodeIdx([5], labels.subarray(0, 5)),
        /holds 5 labels but .* holds 12 images/,
      ],
    ];
    for (const [name, imageBytes, labelBytes, pattern] of cases) {
      const caseFolder = join(bad, name);
      await mkdir(caseFolder);
      await writeFile(join(caseFolder, 'train-images-idx3-ubyte.gz'), imageBytes);
      await writeFile(join(caseFolder, 'train-labels-idx1-ubyte.gz'), labelBytes);
      await assertFormatError(loadDataset(`idx:${caseFolder}`), pattern);
    }
    await assertFormatError(loadDataset(`idx:${join(folder, 'nowhere')}`), /nowhere: does not exist/);
    await assertFormatError(
      loadDataset(`idx:${join(bad, 'magic')}`, { split: 'test' }),
      /has no t10k-images/,
    );
  });

  it('rejects a label outside the given classes', async () => {
    const caseFolder = join(folder, 'labels-out');
    await mkdir(caseFolder);
    await writeFile(join(caseFolder, 'train-images-idx3-ubyte'), encodeIdx([count, 28, 28], images));
    await writeFile(join(caseFolder, 'train-labels-idx1-ubyte'), encodeIdx([count], labels));
    await assertFormatError(
      loadDataset(`idx:${caseFolder}`, { classNames: ['a', 'b', 'c'] }),
      /label 3 at index 3 is outside the 3 classes/,
    );
  });
});

function csvText(header: boolean): string {
  const lines = header ? [`label,${Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',')}`] : [];
  for (let i = 0; i < count; i += 1)
    lines.push([labels[i], ...images.subarray(i * 784, (i + 1) * 784)].join(','));
  return `${lines.join('\r\n')}\n`;
}

describe('CSV', () => {
  it('loads files with and without a header, and a train,test pair', async () => {
    const withHeader = join(folder, 'with-header.csv');
    const without = join(folder, 'without-header.csv');
    await writeFile(withHeader, csvText(true));
    await writeFile(without, csvText(false));
    assertSameData(await loadDataset(`csv:${withHeader}`), 'csv with header');
    assertSameData(await loadDataset(`csv:${without}`), 'csv without header');
    const pair = await loadDataset(`csv:${withHeader},${without}`, { split: 'test' });
    assert.equal(pair.source.split, 'test');
    assert.equal(pair.source.files[0]!.path, without);
  });

  it('names the line of a short row and of a non-numeric cell', async () => {
    const rows = csvText(true).split('\r\n');
    rows[3] = rows[3]!.split(',').slice(0, 700).join(',');
    const short = join(folder, 'short.csv');
    await writeFile(short, rows.join('\n'));
    await assertFormatError(loadDataset(`csv:${short}`), /short\.csv: line 4 has 700 columns, expected 785/);
    const cells = csvText(false).split('\r\n');
    cells[5] = cells[5]!.replace(/,\d+,/, ',x7,');
    const text = join(folder, 'text.csv');
    await writeFile(text, cells.join('\n'));
    await assertFormatError(loadDataset(`csv:${text}`), /text\.csv: line 6, column 2: "x7" is not a number/);
    const empty = join(folder, 'empty.csv');
    await writeFile(empty, '');
    await assertFormatError(loadDataset(`csv:${empty}`), /empty\.csv: is empty/);
  });
});

describe('NPZ', () => {
  it('loads x_train/y_train and X_test/y_test written as zip + .npy', async () => {
    const path = join(folder, 'mnist.npz');
    await writeFile(
      path,
      zipSync({
        'x_train.npy': encodeNpy('|u1', [count, 28, 28], images),
        'y_train.npy': encodeNpy(
          '<i8',
          [count],
          BigInt64Array.from(labels, (label) => BigInt(label)),
        ),
        'X_test.npy': encodeNpy(
          '<f4',
          [2, 784],
          Float32Array.from(images.subarray(0, 1568), (v) => v / 255),
        ),
        'y_test.npy': encodeNpy('|u1', [2], labels.subarray(0, 2)),
      }),
    );
    assertSameData(await loadDataset(`npz:${path}`), 'npz train');
    const test = await loadDataset(`npz:${path}`, { split: 'test' });
    assert.equal(test.count, 2);
    assert.deepEqual([...test.images], [...images.subarray(0, 1568)]);
  });

  it('lists the arrays it has when the expected ones are missing', async () => {
    const path = join(folder, 'other.npz');
    await writeFile(path, zipSync({ 'features.npy': encodeNpy('|u1', [1], new Uint8Array(1)) }));
    await assertFormatError(
      loadDataset(`npz:${path}`),
      /other\.npz: has no x_train\/y_train arrays \(it has features\)/,
    );
    const notZip = join(folder, 'not.npz');
    await writeFile(notZip, 'hello');
    await assertFormatError(loadDataset(`npz:${notZip}`), /not\.npz: is not a readable \.npz/);
  });
});

describe('images:DIR', () => {
  it('loads class subfolders of PNG and JPEG files, resized, grayscale or colour', async () => {
    const root = join(folder, 'digits');
    for (const digit of [3, 8]) {
      await mkdir(join(root, `digit-${digit}`), { recursive: true });
      await writeFile(join(root, `digit-${digit}`, 'a.png'), await renderDigit(digit, 'png'));
      await writeFile(join(root, `digit-${digit}`, 'b.jpg'), await renderDigit(digit, 'jpeg'));
    }
    await writeFile(
      join(root, 'digit-3', 'red.png'),
      await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ff0000' } })
        .png()
        .toBuffer(),
    );
    const colour = await loadDataset(`images:${root}`, { imageSize: 32 });
    assert.deepEqual(colour.classNames, ['digit-3', 'digit-8']);
    assert.deepEqual(colour.shape, [32, 32, 3]);
    assert.deepEqual([...colour.labels], [0, 0, 0, 1, 1]);
    const red = colour.images.subarray(2 * 32 * 32 * 3, 2 * 32 * 32 * 3 + 3);
    assert.deepEqual([...red], [255, 0, 0]);
    const gray = await loadDataset(`images:${root}`, { channels: 1 });
    assert.deepEqual(gray.shape, [28, 28, 1]);
    assert.equal(gray.source.files.length, 5);
  });

  it('rejects an empty folder, a class folder with no images, a file that is not an image, and bombs', async () => {
    const empty = join(folder, 'empty-dir');
    await mkdir(empty);
    await assertFormatError(loadDataset(`images:${empty}`), /empty-dir: has no class subfolders/);
    await mkdir(join(empty, 'cats'));
    await assertFormatError(loadDataset(`images:${empty}`), /cats: class folder "cats" has no images/);
    await writeFile(join(empty, 'cats', 'notes.txt'), 'not an image');
    await assertFormatError(loadDataset(`images:${empty}`), /notes\.txt: is not an image sharp can read/);
    await rm(join(empty, 'cats', 'notes.txt'));
    await writeFile(
      join(empty, 'cats', 'huge.png'),
      await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#ffffff' } })
        .png()
        .toBuffer(),
    );
    await assertFormatError(
      loadDataset(`images:${empty}`, { maxPixels: 1_000_000 }),
      /huge\.png: is 4000×3000/,
    );
  });
});

describe('named datasets', () => {
  it('finds fashion-mnist in --data-dir first, and says which files are missing and where to put them', async () => {
    const dataDir = join(folder, 'data-dir');
    await mkdir(join(dataDir, 'mnist'), { recursive: true });
    await writeFile(join(dataDir, 'mnist', 't10k-images-idx3-ubyte'), encodeIdx([count, 28, 28], images));
    await writeFile(join(dataDir, 'mnist', 't10k-labels-idx1-ubyte'), encodeIdx([count], labels));
    const options = {
      dataDir,
      cacheDir: join(folder, 'cache'),
      systemDir: join(folder, 'system'),
      download: false,
    };
    const test = await loadDataset('mnist', { ...options, split: 'test' });
    assertSameData(test, 'mnist from --data-dir');
    assert.equal(test.source.spec, 'mnist');
    await assert.rejects(loadDataset('mnist', options), (error: unknown) => {
      assert.ok(error instanceof DatasetNotFoundError);
      assert.match(error.message, /missing train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz/);
      assert.match(error.message, /put the files in .*cache\/mnist/);
      return true;
    });
  });
});

describe('batches', () => {
  const dataset: Dataset = {
    images,
    labels,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    shape: [28, 28, 1],
    count,
    source: { spec: 'test', files: [] },
  };

  it('covers every sample once per epoch, reshuffles per epoch, and repeats for the same seed', () => {
    const order = (epoch: number, seed = 1) =>
      [...batches(dataset, { batchSize: 5, seed, epoch })].flatMap((batch) => [...batch.indices]);
    assert.deepEqual(
      [...order(0)].sort((a, b) => a - b),
      [...Array(count).keys()],
    );
    assert.deepEqual(order(0), order(0));
    assert.notDeepEqual(order(0), order(1));
    const sizes = [...batches(dataset, { batchSize: 5 })].map((batch) => batch.count);
    assert.deepEqual(sizes, [5, 5, 2]);
    assert.deepEqual(
      [...batches(dataset, { batchSize: 5, dropRemainder: true })].map((batch) => batch.count),
      [5, 5],
    );
  });

  it('scales to [0, 1] or standardises, and gives one-hot labels', () => {
    const [batch] = batches(dataset, { batchSize: 2, shuffle: false, labels: 'one-hot' });
    assert.ok(batch);
    assert.equal(batch.images[1], Math.fround(images[1]! / 255));
    assert.deepEqual([...batch.labels.subarray(10, 20)], [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const scale = standardization(images);
    const all = [...batches(dataset, { batchSize: count, scale })][0]!.images;
    const mean = all.reduce((sum, value) => sum + value, 0) / all.length;
    const variance = all.reduce((sum, value) => sum + (value - mean) ** 2, 0) / all.length;
    assert.ok(Math.abs(mean) < 1e-4 && Math.abs(variance - 1) < 1e-3, `mean ${mean}, variance ${variance}`);
  });

  it('augments with seeded shifts, rotations and zoom that keep most of the ink', () => {
    const digit = new Uint8Array(784);
    for (let y = 8; y < 20; y += 1) for (let x = 12; x < 16; x += 1) digit[y * 28 + x] = 255;
    const single: Dataset = { ...dataset, images: digit, labels: new Uint8Array([1]), count: 1 };
    const augment = { shift: 3, rotate: 15, zoom: 0.1 };
    const first = [...batches(single, { batchSize: 1, seed: 5, augment })][0]!.images;
    const again = [...batches(single, { batchSize: 1, seed: 5, augment })][0]!.images;
    const other = [...batches(single, { batchSize: 1, seed: 6, augment })][0]!.images;
    assert.deepEqual(first, again);
    assert.notDeepEqual(first, other);
    const inkOf = (pixels: Float32Array) => pixels.reduce((sum, value) => sum + value, 0);
    const ink = inkOf(first);
    assert.ok(ink > 48 * 0.7 && ink < 48 * 1.3, `ink ${ink} of 48`);
    assert.notDeepEqual(
      [...first],
      [...digit].map((v) => v / 255),
    );
  });

  it("keeps a standardised scale's background exactly, and the ink, when it rotates and zooms", () => {
    // the background scales to (0 − 0.5) / 0.25 = −2, not 0: an augmented page keeps it exactly, ink or not
    const table = scaleTable({ mean: 0.5, std: 0.25 });
    const background = table[0]!;
    assert.equal(background, -2);
    const digit = new Uint8Array(784);
    for (let y = 10; y < 18; y += 1) for (let x = 10; x < 18; x += 1) digit[y * 28 + x] = 100 + y * 8 + x;
    const inkOf = (pixels: Float32Array) => pixels.reduce((sum, value) => sum + (value - background), 0);
    const source = Float32Array.from(digit, (byte) => table[byte]!);
    const random = createRandom(3);
    const output = new Float32Array(784);
    const blank = new Float32Array(784);
    for (let draw = 0; draw < 50; draw += 1) {
      const augmentation = { shift: 2, rotate: 10, zoom: 0.1 };
      augmentImage(digit, 28, 28, 1, augmentation, random, table, output, 0);
      // the ink (rows and columns 10-17) moves under 4 pixels (a shift of 2, under 1.5 from the rotation and
      // zoom, 1 from the blend), so the outer 5 rows and columns stay background
      for (let y = 0; y < 28; y += 1)
        for (let x = 0; x < 28; x += 1)
          if (y < 5 || x < 5 || y > 22 || x > 22)
            assert.equal(output[y * 28 + x], background, `(${x}, ${y})`);
      const ratio = inkOf(output) / inkOf(source);
      assert.ok(ratio > 0.75 && ratio < 1.3, `draw ${draw}: ink ratio ${ratio}`);
      augmentImage(new Uint8Array(784), 28, 28, 1, augmentation, random, table, blank, 0);
      assert.ok(
        blank.every((value) => value === background),
        'a blank page stays the background',
      );
    }
  });

  it('flips left-right about half the time and shifts by whole pixels when nothing rotates or zooms', () => {
    // an asymmetric 6×5 image, so every mirror and shift is told apart
    const [height, width] = [6, 5];
    const image = Uint8Array.from({ length: height * width }, (_, index) => 1 + ((index * 37) % 251));
    const at = (x: number, y: number) =>
      x >= 0 && y >= 0 && x < width && y < height ? image[y * width + x]! / 255 : 0;
    const table = scaleTable('unit');
    const random = createRandom(11);
    const output = new Float32Array(height * width);
    let mirrored = 0;
    const draws = 400;
    for (let draw = 0; draw < draws; draw += 1) {
      augmentImage(image, height, width, 1, { shift: 2, flip: true }, random, table, output, 0);
      // find the whole-pixel shift (dx, dy) and mirror that reproduce the output exactly
      const matches: string[] = [];
      for (const flip of [false, true]) {
        for (let dy = -2; dy <= 2; dy += 1) {
          for (let dx = -2; dx <= 2; dx += 1) {
            let same = true;
            for (let y = 0; y < height && same; y += 1) {
              for (let x = 0; x < width && same; x += 1) {
                const source = at((flip ? width - 1 - x : x) - dx, y - dy);
                same = output[y * width + x] === Math.fround(source);
              }
            }
            if (same) matches.push(`${flip} ${dx} ${dy}`);
          }
        }
      }
      assert.equal(matches.length, 1, `draw ${draw}: ${[...output].join(' ')} matched ${matches.length}`);
      if (matches[0]!.startsWith('true')) mirrored += 1;
    }
    assert.ok(mirrored > draws * 0.4 && mirrored < draws * 0.6, `${mirrored} of ${draws} mirrored`);
    assert.equal(augments({ flip: true }), true);
    assert.equal(augments({ shift: 0, rotate: 0, zoom: 0, flip: false }), false);
    assert.equal(augments(undefined), false);
  });
});
