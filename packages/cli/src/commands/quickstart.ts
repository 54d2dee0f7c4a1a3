import { BACKEND_CHOICES, DEVICE_CHOICES } from '@cnnx/train';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { choice, integer } from '../options.js';
import { type QuickstartOptions, runQuickstart } from '../quickstart/run.js';

/** `cnnx quickstart`: train, evaluate, export and verify the classic notebook CNN on the embedded digits. */
export function register(program: Command, context: CliContext): void {
  program
    .command('quickstart')
    .description(
      'train the classic notebook CNN on the embedded MNIST digits, evaluate it, export it to ONNX and verify the ONNX file',
    )
    .option('--out <dir>', 'run folder to write', 'runs/quickstart')
    .option('--epochs <n>', 'passes over the training images', integer('--epochs', { min: 1, max: 1000 }), 6)
    .option(
      '--seed <s>',
      'seed for the split, the initial weights and the shuffling',
      integer('--seed', { min: 0 }),
      42,
    )
    .option('--batch-size <b>', 'images per training step', integer('--batch-size', { min: 1 }), 64)
    .option(
      '--limit <n>',
      'use only the first N images of a stratified shuffle (for quick trials)',
      integer('--limit', { min: 20 }),
    )
    .option(
      '--backend <name>',
      'training backend: auto (onnxruntime here), onnxruntime, tensorflow, wasm or cpu',
      choice('--backend', BACKEND_CHOICES),
      'auto',
    )
    .option('--device <name>', 'onnxruntime device: cpu or cuda', choice('--device', DEVICE_CHOICES), 'cpu')
    .option(
      '--threads <n>',
      'onnxruntime and wasm threads (default: one per core, at most 8)',
      integer('--threads', { min: 1, max: 8 }),
    )
    .option('--force', 'replace --out even when it holds something other than a previous quickstart run')
    .option('--json', 'print metrics.json to stdout; progress stays on stderr')
    .addHelpText(
      'after',
      '\nExample:\n  $ cnnx quickstart --out runs/quickstart --epochs 6\n  writes runs/quickstart/{model/, model.onnx, metrics.json, report.html}',
    )
    .action(async (options: QuickstartFlags) => {
      await runQuickstart({ ...options, verbose: context.verbose() });
    });
}

/** The command's flags: the run's options less `--verbose`, which is global. */
export type QuickstartFlags = Omit<QuickstartOptions, 'verbose'>;
