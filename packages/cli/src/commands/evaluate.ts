import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { type EvaluateOptions, OWN_REPORT, runEvaluate } from '../evaluate/run.js';
import { choice, INPUT_SCALE_HELP, inputScale, integer } from '../options.js';
import { FORCE_HELP } from '../output-paths.js';

/** `cnnx evaluate`: scores a tfjs model folder or an ONNX file on a dataset split. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('evaluate')
    .description(
      'score a model (tfjs folder, Keras .h5/.keras or .onnx file) on a dataset: loss, accuracy, classification report',
    )
    .requiredOption(
      '--model <path>',
      'a tfjs model folder (model.json), a run folder, a Keras .h5/.keras file, or an .onnx file',
    )
    .requiredOption('--dataset <spec>', 'dataset spec: mnist-sample, mnist, fashion-mnist, idx:DIR, …')
    .option('--data-dir <dir>', 'folder looked in first for mnist / fashion-mnist files')
    .option('--split <split>', 'which split to score', choice('--split', ['train', 'test'] as const), 'test')
    .option(
      '--seed <n>',
      'seed of the 85/15 split of sets without a test split',
      integer('--seed', { min: 0 }),
      42,
    )
    .option('--batch-size <n>', 'images per inference batch', integer('--batch-size', { min: 1 }), 256)
    .option(
      '--input-scale <scale>',
      `${INPUT_SCALE_HELP} (default: the model's own: ONNX metadata, manifest.json, else unit)`,
      inputScale(),
    )
    .option('--json', 'print the metrics as one JSON document on stdout')
    .option('--report <dir>', 'write report.html and the figures (PNG + SVG) into this folder')
    .option('--force', FORCE_HELP.folder('--report', OWN_REPORT))
    .addHelpText(
      'after',
      '\nExamples:\n  $ cnnx evaluate --model runs/quickstart/model --dataset mnist-sample\n  $ cnnx evaluate --model runs/quickstart/model.onnx --dataset mnist-sample --json --report runs/eval\n  $ cnnx evaluate --model mnist.keras --dataset mnist-sample --split test',
    )
    .action(async (options: EvaluateOptions) => {
      await runEvaluate(options);
    });
}
