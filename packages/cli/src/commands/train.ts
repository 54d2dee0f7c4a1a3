import {
  BACKEND_CHOICES,
  DEVICE_CHOICES,
  LOSS_NAMES,
  OPTIMIZER_NAMES,
  PRESET_NAMES,
  parseAugmentation,
  SCHEDULE_NAMES,
} from '@cnnx/train';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { choice, INPUT_SCALE_HELP, inputScale, integer, libraryParser, number } from '../options.js';
import { runTrain, type TrainFlags } from '../train/run.js';

const EXAMPLES = `
Examples:
  $ cnnx train --dataset mnist-sample --out runs/digits --epochs 3
  $ cnnx train --dataset fashion-mnist --out runs/fashion --model best --epochs 20 --schedule cosine
  $ cnnx train --resume runs/digits          # after Ctrl-C or a crash
  $ cnnx train --dataset mnist-sample --out runs/wasm --backend wasm   # tfjs instead of onnxruntime
  $ cnnx train --model mnist.keras --dataset mnist-sample --epochs 1 --out runs/tuned   # fine-tunes a Keras model`;

/** `cnnx train`: trains a preset or a JSON spec on a dataset, with checkpoints and `--resume`. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('train')
    .description('train a model on a dataset; writes DIR/model (tfjs), DIR/run.json and DIR/checkpoint')
    .option('--dataset <spec>', 'dataset spec: mnist-sample, mnist, fashion-mnist, idx:DIR, csv:FILE, …')
    .option('--data-dir <dir>', 'folder looked in first for mnist / fashion-mnist files')
    .option('--out <dir>', 'run folder to write')
    .option(
      '--model <name|file>',
      `a preset (${PRESET_NAMES.join(', ')}), a JSON spec file, or a Keras .h5/.keras file to fine-tune`,
      'classic',
    )
    .option(
      '--epochs <n>',
      "passes over the training set (default 5, or the preset's own: best trains 10)",
      integer('--epochs', { min: 1 }),
    )
    .option('--batch-size <n>', 'images per step', integer('--batch-size', { min: 1 }), 64)
    .option(
      '--lr <rate>',
      "learning rate (default 0.001 for adam/rmsprop, 0.01 for sgd, or the preset's own: best uses 0.002)",
      number('--lr', { above: 0 }),
    )
    .option('--optimizer <name>', 'adam, sgd or rmsprop', choice('--optimizer', OPTIMIZER_NAMES), 'adam')
    .option('--momentum <m>', 'momentum for sgd/rmsprop', number('--momentum', { min: 0, max: 0.999 }))
    .option('--nesterov', 'Nesterov momentum (sgd)')
    .option(
      '--schedule <name>',
      'learning rate: constant (default; best uses cosine), step (halved every 2 epochs), cosine (toward 0), plateau (halved when validation loss stalls)',
      choice('--schedule', SCHEDULE_NAMES),
    )
    .option('--loss <name>', 'loss function', choice('--loss', LOSS_NAMES), 'sparse-categorical-crossentropy')
    .option('--label-smoothing <f>', 'label smoothing', number('--label-smoothing', { min: 0, max: 0.5 }), 0)
    .option(
      '--validation-split <f>',
      'fraction of the training images held out for validation (0 for none)',
      number('--validation-split', { min: 0, max: 0.5 }),
      0.1,
    )
    .option(
      '--patience <n>',
      'early stopping: epochs without improvement (restores the best)',
      integer('--patience', { min: 1 }),
    )
    .option(
      '--augment [kinds]',
      'random changes to each training image: a comma list of shift[=px], rotate[=degrees], zoom[=fraction], flip (mirror left-right: clothing and objects, never digits); alone: shift,rotate,zoom (on by default for the best preset)',
      libraryParser(parseAugmentation),
    )
    .option('--no-augment', 'turn augmentation off')
    .option(
      '--limit <n>',
      'train on a stratified sample of N images (quick runs)',
      integer('--limit', { min: 1 }),
    )
    .option(
      '--seed <n>',
      'seed of the weights, shuffles, dropout and splits',
      integer('--seed', { min: 0 }),
      42,
    )
    .option(
      '--backend <name>',
      'training backend: auto (onnxruntime when it can train every layer, else tensorflow → wasm → cpu), onnxruntime, tensorflow, wasm or cpu',
      choice('--backend', BACKEND_CHOICES),
      'auto',
    )
    .option('--device <name>', 'onnxruntime device: cpu or cuda', choice('--device', DEVICE_CHOICES), 'cpu')
    .option(
      '--threads <n>',
      'onnxruntime and wasm threads (default: one per core, at most 8)',
      integer('--threads', { min: 1, max: 8 }),
    )
    .option(
      '--input-scale <scale>',
      `${INPUT_SCALE_HELP}; the run and its export keep it (default unit; none for a Keras model that starts with Rescaling(1/255))`,
      inputScale(),
    )
    .option('--resume <dir>', 'continue the run in DIR from its last checkpoint')
    .option(
      '--force',
      'train into an existing, non-empty --out folder, replacing its model/, run.json and checkpoint/ (nothing is refreshed without it: continue a run with --resume)',
    )
    .option('--json', 'print the run manifest as one JSON document on stdout')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: TrainFlags, command: Command) => {
      await runTrain(flags, command);
    });
}
