import { ModelFormatError, UnsupportedLayerError, VerificationError } from '@cnnx/export';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { type ExportFlags, OWN_OUTPUT, runExport } from '../export/run.js';
import { choice, INPUT_SCALE_HELP, inputScale, integer } from '../options.js';
import { FORCE_HELP } from '../output-paths.js';

/** `cnnx export`: a saved tfjs Layers model folder or a Keras file → an ONNX file, verified against tfjs. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('export')
    .description(
      'export a tfjs Layers model folder or a Keras .h5/.keras file to ONNX, checked against tfjs with onnxruntime-node',
    )
    .option(
      '--model <path>',
      'tfjs model folder (model.json + weight shards), run folder, or Keras .h5/.keras file',
    )
    .option('--out <file>', 'ONNX file to write')
    .option('--opset <n>', 'ONNX opset (13-21)', integer('--opset'), 17)
    .option(
      '--input-layout <layout>',
      'input layout',
      choice('--input-layout', ['nhwc', 'nchw'] as const),
      'nhwc',
    )
    .option(
      '--quantize <mode>',
      'fp16 weights or int8 static QDQ',
      choice('--quantize', ['fp16', 'int8'] as const),
    )
    .option(
      '--calibration <spec>',
      'dataset spec: its train images calibrate int8, its test images verify (e.g. mnist-sample)',
    )
    .option('--data-dir <dir>', 'folder looked in first for mnist / fashion-mnist files (--calibration)')
    .option(
      '--calibration-count <n>',
      'how many calibration images',
      integer('--calibration-count', { min: 1 }),
      500,
    )
    .option(
      '--calibration-method <method>',
      'activation ranges from calibration',
      choice('--calibration-method', ['minmax', 'percentile'] as const),
      'minmax',
    )
    .option('--class-names <list>', 'comma-separated class names (default: from manifest.json)')
    .option(
      '--input-scale <scale>',
      `${INPUT_SCALE_HELP}; written into the ONNX file (default: manifest.json's, else unit; none for a Keras model that starts with Rescaling(1/255))`,
      inputScale(),
    )
    .option('--run-id <id>', 'training run id (default: from manifest.json)')
    .option('--no-verify', 'skip the onnxruntime-node vs tfjs check')
    .option('--triton <dir>', 'also write a Triton model repository entry under DIR')
    .option(
      '--triton-name <name>',
      "model name in the Triton repository: one folder name of letters, digits, '_', '.', '-' (default: the file name)",
    )
    .option(
      '--triton-version <n>',
      "the entry's version folder to add or replace; its other versions are kept",
      integer('--triton-version', { min: 1 }),
      1,
    )
    .option('--force', FORCE_HELP.file(OWN_OUTPUT))
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  cnnx export --model runs/quickstart/model --out digits.onnx --calibration mnist-sample --triton triton-repo\n  cnnx export --model mnist.keras --out mnist.onnx\n  cnnx export --model mnist.h5 --input-scale none --out mnist.onnx   # trained on raw 0-255 pixels',
    )
    .action(async (flags: ExportFlags) => {
      try {
        await runExport(flags);
      } catch (error) {
        if (
          error instanceof ModelFormatError ||
          error instanceof UnsupportedLayerError ||
          error instanceof VerificationError ||
          error instanceof RangeError ||
          error instanceof TypeError
        ) {
          throw new CliError(error.message, { cause: error });
        }
        throw error;
      }
    });
}
