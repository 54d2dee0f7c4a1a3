import {
  BACKEND_CHOICES,
  BASELINE_NAMES,
  DEVICE_CHOICES,
  isPresetName,
  PRESET_NAMES,
  parseBaselineNames,
} from '@cnnx/train';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { type CompareOptions, OWN_COMPARISON, runCompare } from '../compare/run.js';
import type { CliContext } from '../context.js';
import { choice, integer, libraryParser } from '../options.js';
import { FORCE_HELP } from '../output-paths.js';

function modelList(value: string): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !isPresetName(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `expected a comma-separated list of ${PRESET_NAMES.join(', ')} for --models${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
  }
  return [...new Set(names)];
}

/** `cnnx compare`: trains presets (and classical baselines) under one split and seed, and tabulates them. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('compare')
    .description('train several models under the same split and seed, export each to ONNX, and compare them')
    .requiredOption('--models <list>', `comma-separated presets: ${PRESET_NAMES.join(', ')}`, modelList)
    .option('--dataset <spec>', 'dataset spec', 'mnist-sample')
    .option('--data-dir <dir>', 'folder looked in first for mnist / fashion-mnist files')
    .option('--epochs <n>', 'training epochs of each CNN', integer('--epochs', { min: 1 }), 3)
    .option('--batch-size <n>', 'training batch size', integer('--batch-size', { min: 1 }), 64)
    .option('--seed <n>', 'seed of the split, weights and shuffling', integer('--seed', { min: 0 }), 42)
    .option(
      '--baselines [names]',
      `add classical baselines: all, or a comma-separated list of ${BASELINE_NAMES.join(', ')}`,
      libraryParser(parseBaselineNames),
    )
    .option(
      '--baseline-limit <n>',
      'train the baselines on a stratified sample of about this many images (the SVC grows as n^1.8)',
      integer('--baseline-limit', { min: 10 }),
    )
    .option(
      '--baseline-epochs <n>',
      'epochs of the gradient-trained baselines',
      integer('--baseline-epochs', { min: 1 }),
      5,
    )
    .option(
      '--limit <n>',
      'use about this many training images, stratified (quick runs)',
      integer('--limit', { min: 10 }),
    )
    .option('--backend <name>', 'training backend', choice('--backend', BACKEND_CHOICES), 'auto')
    .option('--device <name>', 'onnxruntime device: cpu or cuda', choice('--device', DEVICE_CHOICES), 'cpu')
    .option(
      '--out <dir>',
      'where to write compare.json, compare.html and the PNG/SVG figures',
      'runs/compare',
    )
    .option('--force', FORCE_HELP.folder('--out', OWN_COMPARISON))
    .option('--json', 'print the comparison as one JSON document on stdout')
    .addHelpText(
      'after',
      '\nExample:\n  $ cnnx compare --models classic,tiny --baselines --epochs 1\n  writes runs/compare/{compare.json, compare.html, compare-table.png, compare-accuracy.png}',
    )
    .action(async (options: CompareOptions) => {
      await runCompare(options);
    });
}
