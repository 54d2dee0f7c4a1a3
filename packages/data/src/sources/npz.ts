import { DatasetFormatError } from '../errors.js';
import { readDatasetFile, sha256 } from '../files.js';
import { parseNpz } from '../formats/npz.js';
import { checkLabels, defaultClassNames } from '../labels.js';
import type { Dataset, DatasetSplit } from '../types.js';
import { imageShapeOf, imagesToBytes, labelsToBytes } from './arrays.js';

/**
 * `npz:FILE`: an `.npz` holding `x_train`, `y_train`, `x_test`, `y_test` (any case, as `keras.datasets`
 * and the notebooks save them). The split picks the pair (default `train`).
 *
 * @example
 * const test = await loadNpz('mnist.npz', { spec: 'npz:mnist.npz', split: 'test' });
 */
export async function loadNpz(
  path: string,
  context: { spec: string; split?: DatasetSplit; classNames?: string[] },
): Promise<Dataset> {
  const bytes = await readDatasetFile(path);
  const split = context.split ?? 'train';
  // only the split's two arrays are inflated: anything else in the zip is never read
  const wanted = new Set([`x_${split}`, `y_${split}`]);
  const { arrays, names } = await parseNpz(bytes, path, {
    select: (name) => wanted.has(name.toLowerCase()),
  });
  const byLowerName = new Map(Object.keys(arrays).map((name) => [name.toLowerCase(), name]));
  const imagesName = byLowerName.get(`x_${split}`);
  const labelsName = byLowerName.get(`y_${split}`);
  if (!imagesName || !labelsName) {
    const has = names;
    throw new DatasetFormatError(
      path,
      `has no x_${split}/y_${split} arrays (it has ${has.length ? has.join(', ') : 'none'})`,
    );
  }
  const imagesArray = arrays[imagesName]!;
  const labelsArray = arrays[labelsName]!;
  const shape = imageShapeOf(imagesArray.shape, `${path}:${imagesName}`);
  const images = imagesToBytes(imagesArray, `${path}:${imagesName}`);
  const labels = labelsToBytes(labelsArray, `${path}:${labelsName}`);
  const count = imagesArray.shape[0]!;
  if (labels.length !== count) {
    throw new DatasetFormatError(
      path,
      `${labelsName} holds ${labels.length} labels but ${imagesName} holds ${count} images`,
    );
  }
  const classNames = context.classNames ?? defaultClassNames(labels);
  checkLabels(labels, classNames.length, `${path}:${labelsName}`);
  return {
    images,
    labels,
    classNames,
    shape,
    count,
    source: { spec: context.spec, split, files: [{ path, sha256: sha256(bytes) }] },
  };
}
