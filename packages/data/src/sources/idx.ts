import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DatasetFormatError } from '../errors.js';
import { sha256 } from '../files.js';
import { parseIdx } from '../formats/idx.js';
import { readMaybeGzip } from '../gzip.js';
import { checkLabels, defaultClassNames } from '../labels.js';
import type { Dataset, DatasetSplit } from '../types.js';

/**
 * Reads an IDX images file and its labels file (gz or raw) into a dataset.
 *
 * @example
 * const train = await loadIdxPair('data/train-images-idx3-ubyte.gz', 'data/train-labels-idx1-ubyte.gz', {
 *   spec: 'idx:data', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
 * });
 */
export async function loadIdxPair(
  imagesPath: string,
  labelsPath: string,
  context: { spec: string; split?: DatasetSplit; classNames?: string[] },
): Promise<Dataset> {
  const [imagesFile, labelsFile] = await Promise.all([readMaybeGzip(imagesPath), readMaybeGzip(labelsPath)]);
  const images = parseIdx(imagesFile.content, imagesPath, 3);
  const labels = parseIdx(labelsFile.content, labelsPath, 1);
  const [count, height, width] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new DatasetFormatError(
      labelsPath,
      `holds ${labels.dims[0]} labels but ${basename(imagesPath)} holds ${count} images`,
    );
  }
  const classNames = context.classNames ?? defaultClassNames(labels.data);
  checkLabels(labels.data, classNames.length, labelsPath);
  return {
    images: images.data,
    labels: labels.data,
    classNames,
    shape: [height, width, 1],
    count,
    source: {
      spec: context.spec,
      ...(context.split ? { split: context.split } : {}),
      files: [
        { path: imagesPath, sha256: sha256(imagesFile.bytes) },
        { path: labelsPath, sha256: sha256(labelsFile.bytes) },
      ],
    },
  };
}

/**
 * `idx:PATH`: a folder with the four MNIST-style files (`train-images-idx3-ubyte[.gz]`, `t10k-…`), or an
 * images file whose labels file sits next to it (`…images…idx3…` → `…labels…idx1…`).
 *
 * @example
 * const test = await loadIdx('/data/fashion', { spec: 'idx:/data/fashion', split: 'test' });
 */
export async function loadIdx(
  path: string,
  context: { spec: string; split?: DatasetSplit; classNames?: string[] },
): Promise<Dataset> {
  const info = await stat(path).catch((error: unknown) => {
    throw new DatasetFormatError(path, 'does not exist', { cause: error });
  });
  if (!info.isDirectory()) {
    const labelsName = basename(path)
      .replace(/images/, 'labels')
      .replace(/idx3/, 'idx1');
    if (labelsName === basename(path)) {
      throw new DatasetFormatError(
        path,
        'cannot tell its labels file: expected "images" and "idx3" in its name',
      );
    }
    return loadIdxPair(path, join(dirname(path), labelsName), context);
  }
  const split = context.split ?? 'train';
  const names = await readdir(path);
  const prefix = split === 'train' ? 'train' : 't10k';
  const find = (kind: 'images' | 'labels'): string => {
    const pattern = new RegExp(`^${prefix}-${kind}[-.]idx${kind === 'images' ? 3 : 1}-ubyte(\\.gz)?$`);
    const found = names.filter((name) => pattern.test(name)).sort((a, b) => a.length - b.length)[0];
    if (!found) {
      throw new DatasetFormatError(
        path,
        `has no ${prefix}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte[.gz] for the ${split} split`,
      );
    }
    return join(path, found);
  };
  return loadIdxPair(find('images'), find('labels'), { ...context, split });
}
