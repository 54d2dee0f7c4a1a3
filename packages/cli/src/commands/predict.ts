import { stat } from 'node:fs/promises';
import { type Classification, Classifier } from '@cnnx/runtime';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { printJson, say } from '../io.js';
import { choice, integer } from '../options.js';

interface PredictFlags {
  model: string;
  json?: boolean;
  top: number;
  prepare: boolean;
  device: 'auto' | 'cpu' | 'cuda';
}

/** Checks the model path before onnxruntime sees it, so each failure is one line naming the file. */
async function checkModel(path: string): Promise<void> {
  const info = await stat(path).catch((error: unknown) => {
    throw new CliError(`--model ${path}: no such file`, { cause: error });
  });
  if (info.isDirectory()) {
    throw new CliError(
      `--model ${path}: is a folder; cnnx predict takes an .onnx file for now (export a tfjs model with: cnnx export ${path})`,
    );
  }
}

/** One line per image for the terminal: the file, then the top classes with their probabilities. */
function formatResult(file: string, result: Classification): string {
  const top = result.top.map((entry) => `${entry.label} ${(entry.probability * 100).toFixed(1)}%`).join('  ');
  return `${file}: ${result.label}  (${top})`;
}

/** `cnnx predict --model MODEL.onnx IMAGE...`: the top classes of each image through the runtime's Classifier. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('predict')
    .description('classify image files with an ONNX model: top classes and probabilities')
    .argument('<images...>', 'image files (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG)')
    .requiredOption('--model <file>', 'the .onnx model')
    .option('--top <k>', 'how many classes to list per image', integer('--top', { min: 1 }), 3)
    .option('--no-prepare', 'only decode, gray and resize each image (no MNIST-style digit preparation)')
    .option(
      '--device <device>',
      'where to run: auto, cpu or cuda',
      choice('--device', ['auto', 'cpu', 'cuda'] as const),
      'auto',
    )
    .option('--json', 'print one JSON array on stdout: [{file, label, index, probability, top}]')
    .addHelpText(
      'after',
      '\nExample:\n  cnnx predict --model runs/quickstart/model.onnx digit.png photo.jpg --top 3 --json',
    )
    .action(async (images: string[], flags: PredictFlags) => {
      await checkModel(flags.model);
      let classifier: Classifier;
      try {
        classifier = await Classifier.load(flags.model, { device: flags.device });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new CliError(message.startsWith(flags.model) ? message : `--model ${flags.model}: ${message}`, {
          cause: error,
        });
      }
      const results: (Classification & { file: string })[] = [];
      const failures: string[] = [];
      try {
        for (const file of images) {
          try {
            const [result] = await classifier.classify(file, { topK: flags.top, prepare: flags.prepare });
            if (!result) throw new Error('no result');
            results.push({ file, ...result });
            if (!flags.json) say(formatResult(file, result));
          } catch (error) {
            const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
            failures.push(message.includes(file) ? message : `${file}: ${message}`);
          }
        }
      } finally {
        await classifier.release();
      }
      if (flags.json) {
        printJson(
          results.map(({ file, label, index, probability, top }) => ({
            file,
            label,
            index,
            probability,
            top,
          })),
        );
      }
      for (const failure of failures) say(`cnnx: ${failure}`);
      if (failures.length > 0) process.exitCode = 1;
    });
}
