import { DatasetFormatError } from '../errors.js';
import { readDatasetFile, sha256 } from '../files.js';
import { parseCsv } from '../formats/csv.js';
import { checkLabels, defaultClassNames } from '../labels.js';
import type { Dataset, DatasetSplit } from '../types.js';

/**
 * `csv:FILE` or `csv:TRAIN,TEST`: MNIST-style CSV (label column + side² pixel columns). With two files
 * the split picks one; with one, the caller decides about splitting.
 *
 * @example
 * const train = await loadCsv(['mnist_train_small.csv', 'mnist_test.csv'], { spec: 'csv:…', split: 'train' });
 */
export async function loadCsv(
  paths: string[],
  context: { spec: string; split?: DatasetSplit; classNames?: string[] },
): Promise<Dataset> {
  const path = paths.length > 1 && context.split === 'test' ? paths[1]! : paths[0]!;
  const bytes = await readDatasetFile(path);
  const parsed = parseCsv(bytes, path);
  const side = Math.round(Math.sqrt(parsed.pixelsPerImage));
  if (side * side !== parsed.pixelsPerImage) {
    throw new DatasetFormatError(
      path,
      `has ${parsed.pixelsPerImage} pixel columns, expected a square such as 784`,
    );
  }
  const classNames = context.classNames ?? defaultClassNames(parsed.labels);
  checkLabels(parsed.labels, classNames.length, path);
  return {
    images: parsed.images,
    labels: parsed.labels,
    classNames,
    shape: [side, side, 1],
    count: parsed.count,
    source: {
      spec: context.spec,
      ...(paths.length > 1 ? { split: context.split ?? 'train' } : {}),
      files: [{ path, sha256: sha256(bytes) }],
    },
  };
}
