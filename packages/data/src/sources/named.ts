import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type DownloadProgress, downloadFile } from '../download.js';
import { DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import type { Dataset, DatasetSplit } from '../types.js';
import { loadIdxPair } from './idx.js';

/** A published file of a named dataset and its checksum. */
export interface NamedFile {
  name: string;
  md5?: string;
  sha256?: string;
}

/** What the toolkit knows about a named dataset: where to find it and how to check it. */
export interface NamedDataset {
  classNames: string[];
  mirrors: string[];
  files: Record<DatasetSplit, { images: NamedFile; labels: NamedFile }>;
}

/** The standard IDX sets, with the checksums their publishers give (MD5 for MNIST as torchvision uses). */
export const namedDatasets: Record<'mnist' | 'fashion-mnist', NamedDataset> = {
  mnist: {
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://yann.lecun.com/exdb/mnist/'],
    files: {
      train: {
        images: { name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
        labels: { name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
      },
      test: {
        images: { name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
        labels: { name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
      },
    },
  },
  'fashion-mnist': {
    classNames: [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ],
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
    files: {
      train: {
        images: {
          name: 'train-images-idx3-ubyte.gz',
          sha256: 'b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7',
        },
        labels: {
          name: 'train-labels-idx1-ubyte.gz',
          sha256: '0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056',
        },
      },
      test: {
        images: {
          name: 't10k-images-idx3-ubyte.gz',
          sha256: 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa',
        },
        labels: {
          name: 't10k-labels-idx1-ubyte.gz',
          sha256: '8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05',
        },
      },
    },
  },
};

/** Where distributions install datasets (Debian's `dataset-fashion-mnist`, for one). */
export const DEFAULT_SYSTEM_DIR = '/usr/share/datasets';

/** Where named datasets are looked for and how they are fetched. */
export interface NamedDatasetOptions {
  split?: DatasetSplit;
  /** Looked in first: `DIR/<file>` and `DIR/<name>/<file>`. */
  dataDir?: string;
  /** The download cache (default `$XDG_CACHE_HOME/cnnx` or `~/.cache/cnnx`). */
  cacheDir?: string;
  /** Where distributions install datasets (default {@link DEFAULT_SYSTEM_DIR}). */
  systemDir?: string;
  /** Mirrors (base URLs ending in `/`) to use instead of the built-in ones. */
  mirrors?: string[];
  /** Set false to never download (default true). */
  download?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
  /** Passed to the downloader (tests use small values). */
  retries?: number;
  backoffMs?: number;
}

/**
 * The download cache: `$XDG_CACHE_HOME/cnnx`, or `~/.cache/cnnx`.
 *
 * @example
 * defaultCacheDir(); // '/home/ada/.cache/cnnx'
 */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.trim() !== '' ? xdg : join(homedir(), '.cache'), 'cnnx');
}

/**
 * `mnist` or `fashion-mnist`: looked for in `dataDir`, then the cache, then `/usr/share/datasets/<name>`,
 * then downloaded (verified) into the cache. Without any of those, a {@link DatasetNotFoundError} lists
 * the missing files and where to put them.
 *
 * @example
 * const fashion = await loadNamedDataset('fashion-mnist', { split: 'test' }); // 10,000 images
 */
export async function loadNamedDataset(
  name: keyof typeof namedDatasets,
  options: NamedDatasetOptions = {},
): Promise<Dataset> {
  const known = namedDatasets[name];
  const split = options.split ?? 'train';
  const folders = namedDatasetFolders(name, options);
  const cacheFolder = join(options.cacheDir ?? defaultCacheDir(), name);
  const wanted = [known.files[split].images, known.files[split].labels];
  const paths: string[] = [];
  const missing: NamedFile[] = [];
  for (const file of wanted) {
    const found = await findNamedFile(folders, file);
    if (found) paths.push(found);
    else missing.push(file);
  }
  if (missing.length > 0) {
    const failures: string[] = [];
    if (options.download !== false) {
      const mirrors = options.mirrors ?? known.mirrors;
      for (const file of missing) {
        try {
          const destination = join(cacheFolder, file.name);
          await downloadFile({
            urls: mirrors.map(
              (mirror) => new URL(file.name, mirror.endsWith('/') ? mirror : `${mirror}/`).href,
            ),
            destination,
            ...(file.md5 ? { md5: file.md5 } : {}),
            ...(file.sha256 ? { sha256: file.sha256 } : {}),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
            ...(options.retries !== undefined ? { retries: options.retries } : {}),
            ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
          });
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
    }
    if (failures.length > 0 || options.download === false) {
      const names = missing.map((file) => file.name);
      throw new DatasetNotFoundError(
        name,
        names,
        `${name}: missing ${names.join(', ')} (looked in ${folders.join(', ')}); ` +
          `${options.download === false ? 'downloads are off' : `download failed: ${failures.join('; ')}`}; ` +
          `put the files in ${cacheFolder} or pass --data-dir`,
      );
    }
    return loadNamedDataset(name, { ...options, download: false });
  }
  const dataset = await loadIdxPair(paths[0]!, paths[1]!, {
    spec: name,
    split,
    classNames: known.classNames,
  });
  // a file on disk must be the published one; a renamed or damaged copy would silently skew results
  dataset.source.files.forEach((file, index) => {
    const expected = wanted[index]!.sha256;
    if (expected && file.path.endsWith('.gz') && file.sha256 !== expected) {
      throw new DatasetFormatError(
        file.path,
        `SHA-256 ${file.sha256}, expected ${expected} (the published ${name} file)`,
      );
    }
  });
  return dataset;
}

/**
 * The folders a named dataset's files are looked for in, in order: `DIR` and `DIR/<name>` for `dataDir`,
 * the cache's `<name>` folder, then the system's (`/usr/share/datasets/<name>`).
 *
 * @example
 * namedDatasetFolders('fashion-mnist', { dataDir: 'data' });
 * // ['data', 'data/fashion-mnist', '/home/ada/.cache/cnnx/fashion-mnist', '/usr/share/datasets/fashion-mnist']
 */
export function namedDatasetFolders(
  name: keyof typeof namedDatasets,
  options: Pick<NamedDatasetOptions, 'dataDir' | 'cacheDir' | 'systemDir'> = {},
): string[] {
  return [
    ...(options.dataDir ? [options.dataDir, join(options.dataDir, name)] : []),
    join(options.cacheDir ?? defaultCacheDir(), name),
    join(options.systemDir ?? DEFAULT_SYSTEM_DIR, name),
  ];
}

/**
 * Where a published file is found in `folders` (gzipped as published, or unpacked), or undefined.
 *
 * @example
 * await findNamedFile(namedDatasetFolders('fashion-mnist'), namedDatasets['fashion-mnist'].files.test.images);
 * // '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'
 */
export async function findNamedFile(folders: string[], file: NamedFile): Promise<string | undefined> {
  const names = [file.name, file.name.replace(/\.gz$/, '')];
  for (const folder of folders) {
    for (const name of names) {
      const path = join(folder, name);
      try {
        await access(path);
        return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
