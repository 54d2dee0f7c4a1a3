/**
 * Dataset files of at most 10 MB built to exhaust memory: gzip and zip bombs that inflate to gigabytes, with
 * honest and with lying declared sizes. Each is loaded by `loadDataset` in a child process, which must answer
 * with a one-line DatasetFormatError (or load the real arrays beside a bomb it never opens) and keep its peak
 * resident memory under 1 GB.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { encodeIdx, encodeNpy } from '../src/index.js';
import { deflatedZeros, gzipZeros, writeZip, type ZipEntry } from './bomb-fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const GiB = 1024 ** 3;
const MAX_INPUT = 10 * 1000 * 1000;
const MAX_RSS = 1000 * 1000 * 1000;

let folder = '';
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-bombs-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

interface Loaded {
  spec: string;
  count?: number;
  error?: string;
  message?: string;
}

/** Loads `specs` in a child process: what each gave, and the child's peak resident memory. */
async function loadInChild(specs: string[]): Promise<{ results: Loaded[]; maxRssBytes: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(here, 'load-child.ts'), ...specs],
    { cwd: here, maxBuffer: 1024 * 1024 },
  );
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Loaded & { maxRssBytes?: number });
  const last = lines.pop();
  return { results: lines, maxRssBytes: last?.maxRssBytes ?? Number.POSITIVE_INFINITY };
}

async function write(name: string, bytes: Uint8Array): Promise<string> {
  assert.ok(bytes.length <= MAX_INPUT, `${name} is ${bytes.length} bytes`);
  const path = join(folder, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

const labels = encodeIdx([8], new Uint8Array(8));

/** The four arrays of a small real `.npz`, as stored zip entries. */
function realArrays(): ZipEntry[] {
  const images = encodeNpy('|u1', [8, 28, 28], new Uint8Array(8 * 784).fill(7));
  const classes = encodeNpy(
    '|u1',
    [8],
    Uint8Array.from({ length: 8 }, (_, i) => i % 2),
  );
  return ['x_train', 'x_test', 'y_train', 'y_test'].map((name) => {
    const data = name.startsWith('x') ? images : classes;
    return { name: `${name}.npy`, data, method: 0, declaredSize: data.length };
  });
}

describe('decompression bombs under 10 MB: a clear error, peak memory under 1 GB', () => {
  it('refuses bombs before or while inflating, never opens what it does not read, and reads 10 MB plain files', async () => {
    // 100 × 64 MiB of zeros behind an IDX header that declares them all: 6.25 GiB in about 6.5 MB
    const idxHeader = encodeIdx([8_560_000, 28, 28], new Uint8Array(0));
    const lying = await gzipZeros(idxHeader, 100);
    await write('lying/train-images-idx3-ubyte.gz', lying);
    await write('lying/train-labels-idx1-ubyte', labels);
    // the same zeros in one member whose trailer declares its true size (6.25 GiB, modulo 2^32)
    const honest = Buffer.from(lying);
    honest.writeUInt32LE((100 * 64 * 1024 ** 2 + idxHeader.length) % 2 ** 32, honest.length - 4);
    await write('honest/train-images-idx3-ubyte.gz', honest);
    await write('honest/train-labels-idx1-ubyte', labels);

    const npyHeader = encodeNpy('|u1', [2 * 1024 * 1024, 28, 28], new Uint8Array(0));
    const zeros = await deflatedZeros(npyHeader, 24); // 1.5 GiB + a header: about 1.6 MB
    const declared = 24 * 64 * 1024 ** 2 + npyHeader.length;
    const junk = await write(
      'junk.npz',
      writeZip([...realArrays(), { name: 'junk.npy', data: zeros, method: 8, declaredSize: declared }]),
    );
    const bigArray = await write(
      'big-array.npz',
      writeZip([
        ...realArrays().filter((entry) => entry.name !== 'x_train.npy'),
        { name: 'x_train.npy', data: zeros, method: 8, declaredSize: declared },
      ]),
    );
    const lyingArray = await write(
      'lying-array.npz',
      writeZip([
        ...realArrays().filter((entry) => entry.name !== 'x_train.npy'),
        { name: 'x_train.npy', data: zeros, method: 8, declaredSize: 8 * 784 + npyHeader.length },
      ]),
    );

    // plain files at the 10 MB bound: one CSV row of 5 million cells, 800,000 tiny rows, an IDX header that
    // declares 4 billion images
    const wideRow = await write('wide.csv', Buffer.from(`1${',0'.repeat(4_999_000)}\n`));
    const manyRows = await write('many.csv', Buffer.from('1,0,9,200,3\n'.repeat(800_000)));
    await write(
      'huge/train-images-idx3-ubyte',
      encodeIdx([2 ** 32 - 1, 28, 28], new Uint8Array(MAX_INPUT - 16)),
    );
    await write('huge/train-labels-idx1-ubyte', labels);

    const { results, maxRssBytes } = await loadInChild([
      `csv:${wideRow}`,
      `csv:${manyRows}`,
      `idx:${join(folder, 'huge')}|train`,
      `idx:${join(folder, 'honest')}|train`,
      `idx:${join(folder, 'lying')}|train`,
      `npz:${junk}|train`,
      `npz:${bigArray}|train`,
      `npz:${lyingArray}|train`,
    ]);
    const [wide, many, huge, honestIdx, lyingIdx, junkNpz, bigNpz, lyingNpz] = results as Loaded[] as [
      Loaded,
      Loaded,
      Loaded,
      Loaded,
      Loaded,
      Loaded,
      Loaded,
      Loaded,
    ];
    assert.match(wide.message ?? '', /wide\.csv: has 4999000 pixel columns, expected a square such as 784/);
    assert.equal(many.count, 800_000, many.message);
    assert.match(
      huge.message ?? '',
      /train-images-idx3-ubyte: holds 9999984 bytes of values, its header \(4294967295×28×28\) says 3367254359280 \(truncated\)/,
    );
    assert.equal(honestIdx.error, 'DatasetFormatError');
    assert.match(
      honestIdx.message ?? '',
      /train-images-idx3-ubyte\.gz: declares 2\.3 GiB uncompressed in its gzip trailer, more than the 256\.0 MiB a 6\.\d MiB file may grow to/,
    );
    assert.equal(lyingIdx.error, 'DatasetFormatError');
    assert.match(
      lyingIdx.message ?? '',
      /train-images-idx3-ubyte\.gz: grows past the 256\.0 MiB a 6\.\d MiB file may grow to/,
    );
    assert.equal(
      junkNpz.count,
      8,
      `the real arrays load beside a ${declared / GiB} GiB entry: ${junkNpz.message}`,
    );
    assert.equal(bigNpz.error, 'DatasetFormatError');
    assert.match(
      bigNpz.message ?? '',
      /big-array\.npz: declares 1\.5 GiB of arrays up to x_train\.npy, more than the 256\.0 MiB/,
    );
    assert.equal(lyingNpz.error, 'DatasetFormatError');
    assert.match(
      lyingNpz.message ?? '',
      /lying-array\.npz: is not a readable \.npz \(zip\) file \(.*x_train\.npy/,
    );
    for (const result of results) assert.ok(!(result.message ?? '').includes('\n'), 'one line');
    assert.ok(maxRssBytes < MAX_RSS, `peak resident memory ${Math.round(maxRssBytes / 1e6)} MB`);
  });

  it('a deflated npz entry holds what it declares (the fixture is a real bomb)', async () => {
    const { inflateRawSync } = await import('node:zlib');
    const data = await deflatedZeros(Buffer.from('npy'), 1);
    const inflated = inflateRawSync(data);
    assert.equal(inflated.length, 3 + 64 * 1024 ** 2);
    assert.equal(inflated.subarray(0, 3).toString(), 'npy');
    assert.ok(data.length < 200_000 && deflateRawSync(Buffer.alloc(0)).length === 2);
  });
});
