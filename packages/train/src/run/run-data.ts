/** The images a run trains, validates and tests on: the dataset, `--limit`, the held-out and validation splits. */
import {
  type Dataset,
  HOLDOUT_FRACTION,
  type LoadDatasetOptions,
  loadDataset,
  type SourceFile,
  stratifiedSample,
  stratifiedSplit,
  subset,
} from '@cnnx/data';
import type { RunConfig } from './run-config.js';

/** The images of a run. */
export interface RunData {
  train: Dataset;
  /** Validated on after every epoch: a split of the training images, or the test images. */
  validation?: Dataset;
  /** Held out for testing (`config.test` other than `none`). */
  test?: Dataset;
  /** The files the images were read from, with their SHA-256. */
  files: SourceFile[];
}

/**
 * A stratified sample of exactly `limit` of `set`'s images (every class in proportion), drawn from `seed`;
 * the whole set when it holds no more than `limit`.
 *
 * @example
 * limitImages(digits, 600, 42).count; // 600, each class as common as in `digits`
 */
export function limitImages(set: Dataset, limit: number | null, seed: number): Dataset {
  if (limit === null || limit >= set.count) return set;
  return subset(set, stratifiedSample(set.labels, limit, seed));
}

/** `set` less a stratified validation part of `fraction` (none for 0), drawn from `seed`. */
function splitValidation(
  set: Dataset,
  fraction: number,
  seed: number,
): { train: Dataset; validation?: Dataset } {
  if (fraction <= 0) return { train: set };
  const parts = stratifiedSplit(set.labels, fraction, seed);
  return { train: subset(set, parts.train), validation: subset(set, parts.test) };
}

/**
 * Loads a run's images as its configuration says (seeded throughout, so the same configuration gives the
 * same images):
 * - `test: 'none'` (cnnx train): the dataset's training images, limited (seed + 2), less a validation split
 *   (seed + 1);
 * - `test: 'split'` (cnnx compare): its training and test splits, each limited in proportion (seed);
 * - `test: 'holdout'` (cnnx quickstart): the whole set limited (seed), then a stratified 15% held out (seed).
 * With `validateOnTest` the test images are the validation images too. `where.dataDir` is a folder named
 * datasets are looked for in first.
 *
 * @example
 * const data = await loadRunData(runConfig({ dataset: 'mnist-sample', model: 'classic' }));
 * data.train.count; // 7,650: the 8,500 training digits less 10% for validation
 */
export async function loadRunData(
  config: RunConfig,
  where: Pick<LoadDatasetOptions, 'dataDir'> = {},
): Promise<RunData> {
  const { dataset: spec, seed, limit } = config;
  let train: Dataset;
  let test: Dataset | undefined;
  let files: SourceFile[];
  if (config.test === 'holdout') {
    const all = limitImages(await loadDataset(spec, where), limit, seed);
    const parts = stratifiedSplit(all.labels, HOLDOUT_FRACTION, seed);
    train = subset(all, parts.train);
    test = subset(all, parts.test);
    files = all.source.files;
  } else if (config.test === 'split') {
    const fullTrain = await loadDataset(spec, { ...where, split: 'train', seed });
    const fullTest = await loadDataset(spec, { ...where, split: 'test', seed });
    train = limitImages(fullTrain, limit, seed);
    const testLimit =
      limit === null || limit >= fullTrain.count
        ? null
        : Math.max(10, Math.round((limit * fullTest.count) / fullTrain.count));
    test = limitImages(fullTest, testLimit, seed);
    if (train.classNames.length !== test.classNames.length) {
      throw new RangeError(
        `dataset ${spec}: train has ${train.classNames.length} classes but test has ${test.classNames.length}`,
      );
    }
    files = [...fullTrain.source.files, ...fullTest.source.files];
  } else {
    const loaded = await loadDataset(spec, { ...where, split: 'train', seed });
    train = limitImages(loaded, limit, seed + 2);
    files = loaded.source.files;
  }
  if (config.validateOnTest) return { train, validation: test, test, files };
  const split = splitValidation(train, config.validationSplit, seed + 1);
  return { ...split, ...(test ? { test } : {}), files };
}
