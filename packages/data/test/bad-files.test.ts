/**
 * Dataset files that are wrong in the ways issue #20 found: an npz array of shape (-1, …), NaN pixels in a
 * float npz, and real npz files written by numpy itself (zip64 entries, stored and deflated), which the zip
 * reader must keep reading. Each bad file gives one DatasetFormatError line that names the file and the value.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { DatasetFormatError, encodeNpy, loadDataset, parseNpy } from '../src/index.js';

let folder = '';
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-bad-files-'));
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

/** An .npy file whose header says `shape` whatever the values are. */
function npyWithShape(shapeText: string, values: Uint8Array): Uint8Array {
  const good = encodeNpy('|u1', [values.length], values);
  const text = new TextDecoder().decode(good.subarray(10, 10 + new DataView(good.buffer).getUint16(8, true)));
  const header = text.replace(/'shape': \([^)]*\)/, `'shape': ${shapeText}`).trimEnd();
  const padded = `${header}${' '.repeat(Math.max(0, 117 - header.length))}\n`;
  const bytes = new Uint8Array(10 + padded.length + values.length);
  bytes.set(good.subarray(0, 8));
  new DataView(bytes.buffer).setUint16(8, padded.length, true);
  bytes.set(new TextEncoder().encode(padded), 10);
  bytes.set(values, 10 + padded.length);
  return bytes;
}

const pixels = new Uint8Array(4 * 784).fill(9);
const classes = Uint8Array.from([0, 1, 0, 1]);

describe('npz arrays the header describes wrongly', () => {
  it('a shape of (-1, 28, 28) names the file, the array and the shape', async () => {
    const path = join(folder, 'minus-one.npz');
    await writeFile(
      path,
      zipSync({
        'x_train.npy': npyWithShape('(-1, 28, 28)', pixels),
        'y_train.npy': encodeNpy('|u1', [4], classes),
      }),
    );
    await assertFormatError(
      loadDataset(`npz:${path}`),
      /minus-one\.npz:x_train\.npy: has shape \(-1, 28, 28\), expected sizes that are whole numbers of at least 0/,
    );
  });

  it('a shape larger than the values that follow is refused before anything is allocated', () => {
    const bytes = npyWithShape('(100000000000, 28, 28)', pixels);
    assert.throws(
      () => parseNpy(bytes, 'huge.npy'),
      /huge\.npy: holds 3136 bytes of values, its header \(\|u1 100000000000×28×28\) needs 78400000000000 \(truncated\)/,
    );
  });

  it('NaN or infinite pixels in a float npz are errors that name the image and the pixel', async () => {
    for (const [name, bad] of [
      ['nan', Number.NaN],
      ['inf', Number.POSITIVE_INFINITY],
    ] as const) {
      const floats = new Float32Array(4 * 784).fill(0.5);
      floats[2 * 784 + 17] = bad;
      const path = join(folder, `${name}.npz`);
      await writeFile(
        path,
        zipSync({
          'x_train.npy': encodeNpy('<f4', [4, 28, 28], floats),
          'y_train.npy': encodeNpy('|u1', [4], classes),
        }),
      );
      await assertFormatError(
        loadDataset(`npz:${path}`),
        new RegExp(`${name}\\.npz:x_train: pixel 17 of image 2 is ${bad}, expected 0-255 or 0-1`),
      );
    }
  });

  it('an unknown dtype, a header longer than the file and big-endian floats are one line each', () => {
    const good = encodeNpy('<f4', [2], new Float32Array([0.5, 1]));
    const swap = (from: string, to: string) => {
      const copy = good.slice();
      copy.set(new TextEncoder().encode(to), new TextDecoder().decode(copy).indexOf(from));
      return copy;
    };
    assert.throws(() => parseNpy(swap('<f4', '<c8'), 'c.npy'), /c\.npy: dtype <c8 is not supported/);
    assert.throws(() => parseNpy(swap('<f4', '>f4'), 'be.npy'), /be\.npy: dtype >f4 is big-endian/);
    assert.throws(
      () => parseNpy(good.slice(0, 20), 'cut.npy'),
      /cut\.npy: declares a \d+-byte \.npy header but only 10 bytes follow/,
    );
  });
});

describe('npz files numpy wrote', () => {
  it('savez and savez_compressed (zip64 entries) load as the arrays numpy saved', async (context) => {
    const python = '/usr/bin/python3';
    try {
      execFileSync(python, ['-c', 'import numpy'], { stdio: 'ignore' });
    } catch {
      context.skip('Debian python3-numpy is not installed');
      return;
    }
    const script = [
      'import numpy as np, sys',
      'x = (np.arange(5 * 28 * 28) % 256).astype(np.uint8).reshape(5, 28, 28)',
      'y = np.array([3, 1, 4, 1, 5], dtype=np.int64)',
      'np.savez(sys.argv[1], x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])',
      'np.savez_compressed(sys.argv[2], x_train=x.astype(np.float32) / 255, y_train=y, x_test=x[:2], y_test=y[:2])',
    ].join('\n');
    const plain = join(folder, 'numpy-plain.npz');
    const compressed = join(folder, 'numpy-compressed.npz');
    execFileSync(python, ['-c', script, plain, compressed]);
    const expected = Array.from({ length: 5 * 784 }, (_, i) => i % 256);
    for (const path of [plain, compressed]) {
      const train = await loadDataset(`npz:${path}`);
      assert.deepEqual([...train.images], expected, path);
      assert.deepEqual([...train.labels], [3, 1, 4, 1, 5]);
      const test = await loadDataset(`npz:${path}`, { split: 'test' });
      assert.equal(test.count, 2);
    }
  });
});
