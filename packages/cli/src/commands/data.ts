import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DATASET_SPECS,
  type Dataset,
  type DatasetSplit,
  type DownloadProgress,
  loadDataset,
  renderLabelHistogram,
  renderSampleGrid,
  summarizeDataset,
  writeFolderAtomic,
} from '@cnnx/data';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, say } from '../io.js';
import { choice, integer } from '../options.js';
import { checkOutputPath, FORCE_HELP } from '../output-paths.js';

/** What `data inspect --out` writes, and refreshes without `--force` in a folder that holds only them. */
const INSPECT_FILES = ['samples.png', 'label-histogram.png'];
const OWN_INSPECTION = 'a folder holding just samples.png and label-histogram.png';

/**
 * A download progress bar on stderr for named datasets (one line per file when stderr is not a terminal).
 *
 * @example
 * const progress = createDownloadProgress();
 * await loadDataset('mnist', { onProgress: progress.update });
 * progress.stop();
 */
export function createDownloadProgress(stream: NodeJS.WriteStream = process.stderr): {
  update: (progress: DownloadProgress) => void;
  stop: () => void;
} {
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  const update = (progress: DownloadProgress) => {
    if (progress.file !== current) {
      bar?.stop();
      bar = undefined;
      current = progress.file;
      if (!stream.isTTY) stream.write(`downloading ${progress.file} from ${progress.url}\n`);
    }
    if (!stream.isTTY) return;
    if (!bar) {
      bar = new cliProgress.SingleBar(
        { format: `${progress.file} [{bar}] {percentage}% {value}/{total} bytes`, stream, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(progress.totalBytes ?? 0, progress.receivedBytes);
    }
    if (progress.totalBytes !== undefined) bar.setTotal(progress.totalBytes);
    bar.update(progress.receivedBytes);
  };
  return {
    update,
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** `cnnx data inspect SPEC`: class counts, shape, pixel statistics, and sample/histogram PNGs. */
export function register(program: Command, _context: CliContext): void {
  const data = program.command('data').description('look at datasets');
  data
    .command('inspect')
    .description('counts per class, image shape and pixel statistics of a dataset; PNGs with --out')
    .argument('<spec>', `dataset: ${DATASET_SPECS.join(', ')}`)
    .option('--split <split>', 'train or test', choice('--split', ['train', 'test'] as const))
    .option('--json', 'print one JSON document to stdout')
    .option('--out <dir>', 'write samples.png (a grid per class) and label-histogram.png here')
    .option('--force', FORCE_HELP.folder('--out', OWN_INSPECTION))
    .option('--data-dir <dir>', 'folder looked in first for mnist / fashion-mnist files')
    .option(
      '--image-size <n>',
      'images:DIR only: side images are resized to',
      integer('--image-size', { min: 1, max: 4096 }),
    )
    .option('--no-download', 'never download named datasets')
    .addHelpText(
      'after',
      '\nExamples:\n  cnnx data inspect fashion-mnist --json\n  cnnx data inspect mnist-sample --out runs/inspect\n  cnnx data inspect csv:train.csv --split test',
    )
    .action(
      async (
        spec: string,
        options: {
          split?: DatasetSplit;
          json?: boolean;
          out?: string;
          force?: boolean;
          dataDir?: string;
          imageSize?: number;
          download: boolean;
        },
      ) => {
        if (options.out) {
          await checkOutputPath({
            flag: '--out',
            path: options.out,
            kind: 'folder',
            force: Boolean(options.force),
            isOwnOutput: async (folder) =>
              (await readdir(folder)).sort().join() === [...INSPECT_FILES].sort().join(),
            ownOutput: OWN_INSPECTION,
          });
        }
        const progress = createDownloadProgress();
        let dataset: Dataset;
        try {
          dataset = await loadDataset(spec, {
            ...(options.split ? { split: options.split } : {}),
            ...(options.dataDir ? { dataDir: options.dataDir } : {}),
            ...(options.imageSize ? { imageSize: options.imageSize } : {}),
            download: options.download,
            onProgress: progress.update,
          });
        } catch (error) {
          if (error instanceof RangeError && error.message.startsWith("'spec'")) {
            throw new UsageError(error.message.replace("'spec' ", 'dataset '), { cause: error });
          }
          throw error;
        } finally {
          progress.stop();
        }
        const summary = summarizeDataset(dataset);
        if (options.out) {
          const samples = join(options.out, 'samples.png');
          const histogram = join(options.out, 'label-histogram.png');
          const files = {
            'samples.png': await renderSampleGrid(dataset),
            'label-histogram.png': await renderLabelHistogram(summary),
          };
          await writeFolderAtomic(options.out, files, { merge: true });
          say(`wrote ${samples} and ${histogram}`);
        }
        if (options.json) {
          printJson(summary);
          return;
        }
        const [h, w, c] = summary.shape;
        const lines = [
          `${summary.spec}${summary.split ? ` (${summary.split})` : ''}: ${summary.count} images, ${h}×${w}×${c}, ${summary.classNames.length} classes`,
          `pixels: min ${summary.pixel.min}, max ${summary.pixel.max}, mean ${summary.pixel.mean.toFixed(2)}, std ${summary.pixel.std.toFixed(2)}`,
          ...summary.perClass.map(
            (entry, index) => `  ${String(index).padStart(3)}  ${entry.label.padEnd(14)} ${entry.count}`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
}
