import { writeFolderAtomic } from '@cnnx/data';
import { type Classification, prepareImage } from '@cnnx/runtime';
// @cnnx/train (TensorFlow.js) is imported only for a tfjs model folder, a Keras file or --report
import type { PredictionItem } from '@cnnx/train';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { describeError, UsageError } from '../errors.js';
import { printJson, say } from '../io.js';
import { locateModel } from '../model-location.js';
import { choice, INPUT_SCALE_HELP, inputScale, integer } from '../options.js';
import { checkOutputPath, FORCE_HELP, isCnnxReportFolder } from '../output-paths.js';
import {
  formatResult,
  layersPredictor,
  onnxPredictor,
  type PredictFlags,
  reportItem,
} from '../predict/predictors.js';

/** What `--report` refreshes without `--force`: a folder holding only an earlier predictions report. */
const OWN_REPORT = 'an earlier cnnx predictions report';

function isPredictionReport(folder: string): Promise<boolean> {
  return isCnnxReportFolder(folder, 'predictions.html', (name) => /^predictions\.(html|png|svg)$/.test(name));
}

/** `cnnx predict --model MODEL IMAGE...`: the top classes of each image, prepared as MNIST was. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('predict')
    .description(
      'classify image files with an ONNX model, a tfjs model folder or a Keras file: top classes and probabilities',
    )
    .argument('<images...>', 'image files (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG)')
    .requiredOption(
      '--model <path>',
      'an .onnx file, a tfjs model folder, a run folder, or a Keras .h5/.keras file',
    )
    .option('--top <k>', 'how many classes to list per image', integer('--top', { min: 1 }), 3)
    .option(
      '--no-prepare',
      'only decode, gray and resize each image (no MNIST-style digit preparation; .onnx only)',
    )
    .option(
      '--device <device>',
      'where to run an .onnx model: auto, cpu or cuda',
      choice('--device', ['auto', 'cpu', 'cuda'] as const),
      'auto',
    )
    .option(
      '--report <dir>',
      'also write predictions.{html,png,svg}: each input, the cleaned page, the 28×28 image the model saw, its top classes',
    )
    .option('--force', FORCE_HELP.folder('--report', OWN_REPORT))
    .option('--input-scale <scale>', `${INPUT_SCALE_HELP} (default: the model's own)`, inputScale())
    .option('--json', 'print one JSON array on stdout: [{file, label, index, probability, top}]')
    .addHelpText(
      'after',
      '\nExamples:\n  cnnx predict --model runs/quickstart/model.onnx digit.png photo.jpg --top 3 --json\n  cnnx predict --model runs/quickstart/model 7.png --report runs/predict\n  cnnx predict --model mnist.keras 7.png',
    )
    .action(async (images: string[], flags: PredictFlags) => {
      if (flags.report && !flags.prepare) {
        throw new UsageError(
          '--report shows the prepared 28×28 images; it cannot be combined with --no-prepare',
        );
      }
      if (flags.report) {
        await checkOutputPath({
          flag: '--report',
          path: flags.report,
          kind: 'folder',
          force: Boolean(flags.force),
          isOwnOutput: isPredictionReport,
          ownOutput: OWN_REPORT,
        });
      }
      const location = await locateModel(flags.model);
      const predictor =
        location.kind === 'onnx'
          ? await onnxPredictor(location.file, flags)
          : await layersPredictor(location, flags);
      const results: (Classification & { file: string })[] = [];
      const reportItems: PredictionItem[] = [];
      const failures: string[] = [];
      const preparing = {
        prepare: flags.prepare,
        keepSource: Boolean(flags.report),
        keepPage: Boolean(flags.report),
      };
      try {
        for (const file of images) {
          try {
            const prepared = await prepareImage(file, 0, predictor.image, preparing);
            const result = await predictor.classify(prepared, flags.top);
            results.push({ file, ...result });
            if (!flags.json) say(formatResult(file, result));
            const item = reportItem(file, prepared, result);
            if (item) reportItems.push(item);
          } catch (error) {
            const message = describeError(error);
            failures.push(message.includes(file) ? message : `${file}: ${message}`);
          }
        }
      } finally {
        await predictor.release();
      }
      // all or nothing: a report is written only when every image was read and classified
      if (flags.report && failures.length === 0 && reportItems.length > 0) {
        const { writePredictionReport } = await import('@cnnx/train');
        const items = reportItems;
        await writeFolderAtomic(
          flags.report,
          async (folder) => {
            await writePredictionReport(folder, items);
          },
          { merge: true },
        );
        say(`wrote ${flags.report}/predictions.html`);
      } else if (flags.report && failures.length > 0) {
        say(`cnnx: wrote no report to ${flags.report}: ${failures.length} of ${images.length} images failed`);
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
