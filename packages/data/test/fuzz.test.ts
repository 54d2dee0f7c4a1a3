/**
 * Property-based fuzzing of every dataset reader with fast-check: for any bytes (valid files with a few random
 * edits, and plain random bytes) each returns a result that agrees with itself or throws a DatasetFormatError,
 * never another exception or a hang, and resident memory stays under 1 GiB. A fixed seed and a time budget per
 * property (CNNX_FUZZ_SEED, CNNX_FUZZ_MS) keep it repeatable and quick.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { assertFuzz, mutatedBytes, resultOrAllowed } from '@cnnx/testing';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { gunzipWithin } from '../src/gzip.js';
import {
  DatasetFormatError,
  encodeIdx,
  encodeNpy,
  parseCsv,
  parseIdx,
  parseNpy,
  parseNpz,
} from '../src/index.js';

const pixels = Uint8Array.from({ length: 3 * 16 }, (_, i) => (i * 29) % 256);
const idxFiles = [encodeIdx([3, 4, 4], pixels), encodeIdx([3], Uint8Array.from([0, 1, 2]))];
const npyFiles = [
  encodeNpy('|u1', [3, 4, 4], pixels),
  encodeNpy(
    '<f4',
    [3, 16],
    Float32Array.from(pixels, (v) => v / 255),
  ),
  encodeNpy('<i8', [3], BigInt64Array.from([0n, 1n, 2n])),
  encodeNpy('<f8', [2, 2], new Float64Array([0, 0.5, 1, 0.25])),
];
const product = (dims: readonly number[]) => dims.reduce((total, dim) => total * dim, 1);

describe('fuzz: dataset readers give a result or a DatasetFormatError, nothing else', () => {
  it('parseIdx', async () => {
    await assertFuzz(
      fc.asyncProperty(mutatedBytes(idxFiles), fc.constantFrom(undefined, 1, 3), async (bytes, dims) => {
        const parsed = await resultOrAllowed(() => parseIdx(bytes, 'fuzz.idx', dims), [DatasetFormatError]);
        if (parsed === undefined) return;
        assert.equal(parsed.data.length, product(parsed.dims));
        assert.ok(parsed.data.length <= bytes.length);
      }),
    );
  });

  it('parseCsv', async () => {
    const cell = fc.oneof(
      fc.integer({ min: -300, max: 300 }).map(String),
      fc.constantFrom('', ' ', '"7"', '1e3', '-0', '0.5', 'label', 'NaN', 'Infinity', '1e999', '"', 'x'),
    );
    const line = fc.array(cell, { maxLength: 12 }).map((cells) => cells.join(','));
    const text = fc
      .tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'))
      .map(([lines, newline]) => new TextEncoder().encode(lines.join(newline)));
    const valid = [new TextEncoder().encode('label,a,b,c,d\n3,0,255,1,2\n1,4,5,6,7\n')];
    await assertFuzz(
      fc.asyncProperty(fc.oneof(text, mutatedBytes(valid)), async (bytes) => {
        const parsed = await resultOrAllowed(() => parseCsv(bytes, 'fuzz.csv'), [DatasetFormatError]);
        if (parsed === undefined) return;
        assert.equal(parsed.images.length, parsed.count * parsed.pixelsPerImage);
        assert.equal(parsed.labels.length, parsed.count);
        assert.ok(parsed.count <= bytes.length);
      }),
    );
  });

  it('parseNpy', async () => {
    const header = fc
      .tuple(
        fc.constantFrom('|u1', '<f4', '<f8', '<i8', '>i2', '<c8', '|b1', 'u1', '<u8'),
        fc.array(fc.oneof(fc.nat({ max: 70000 }), fc.constantFrom(-1, 2 ** 40)), { maxLength: 4 }),
        fc.constantFrom('False', 'True', 'maybe'),
        fc.uint8Array({ maxLength: 64 }),
      )
      .map(([descr, shape, fortran, values]) => {
        const text = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }\n`;
        const bytes = new Uint8Array(10 + text.length + values.length);
        bytes.set(npyFiles[0]!.subarray(0, 8));
        new DataView(bytes.buffer).setUint16(8, text.length, true);
        bytes.set(new TextEncoder().encode(text), 10);
        bytes.set(values, 10 + text.length);
        return bytes;
      });
    await assertFuzz(
      fc.asyncProperty(fc.oneof(header, mutatedBytes(npyFiles)), async (bytes) => {
        const parsed = await resultOrAllowed(() => parseNpy(bytes, 'fuzz.npy'), [DatasetFormatError]);
        if (parsed === undefined) return;
        assert.equal(parsed.data.length, product(parsed.shape));
        assert.ok(
          parsed.data.byteLength <= 2 * bytes.length,
          'values fit in the file (8-byte integers as doubles)',
        );
      }),
    );
  });

  it('parseNpz (stored and deflated zips)', async () => {
    const entries = { 'x_train.npy': npyFiles[0]!, 'y_train.npy': npyFiles[2]!, 'notes.txt': pixels };
    const zips = [zipSync(entries, { level: 0 }), zipSync(entries, { level: 6 })];
    await assertFuzz(
      fc.asyncProperty(mutatedBytes(zips), fc.boolean(), async (bytes, onlyTrain) => {
        const parsed = await resultOrAllowed(
          () => parseNpz(bytes, 'fuzz.npz', onlyTrain ? { select: (name) => name.endsWith('_train') } : {}),
          [DatasetFormatError],
        );
        if (parsed === undefined) return;
        for (const [name, array] of Object.entries(parsed.arrays)) {
          assert.ok(parsed.names.includes(name));
          assert.equal(array.data.length, product(array.shape));
        }
      }),
    );
  });

  it('gunzip within the limit', async () => {
    const gzips = [gzipSync(idxFiles[0]!), gzipSync(new Uint8Array(100_000))];
    await assertFuzz(
      fc.asyncProperty(mutatedBytes(gzips), async (bytes) => {
        const content = await resultOrAllowed(() => gunzipWithin(bytes, 'fuzz.gz'), [DatasetFormatError]);
        if (content !== undefined) assert.ok(content.length <= 256 * 1024 ** 2);
      }),
    );
  });
});
