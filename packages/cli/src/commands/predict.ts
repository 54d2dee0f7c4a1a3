import { basename } from 'node:path';
import { writeFolderAtomic } from '@cnnx/data';
import {
  type Classification,
  type ClassifierInfo,
  type PreparedImage,
  prepareImage,
  rankClasses,
} from '@cnnx/runtime';
// @cnnx/train (TensorFlow.js) is imported only for a tfjs model folder, a Keras file or --report
import type { PredictionItem } from '@cnnx/train';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, describeError, UsageError } from '../errors.js';
import { printJson, say } from '../io.js';
import { type LayersLocation, openLayersModel } from '../layers-model.js';
import { loadClassifier, locateModel } from '../model-location.js';
import { choice, INPUT_SCALE_HELP, inputScale, integer } from '../options.js';
import { checkOutputPath, FORCE_HELP, isCnnxReportFolder } from '../output-paths.js';

interface PredictFlags {
  model: string;
  json?: boolean;
  top: number;
  prepare: boolean;
  device: 'auto' | 'cpu' | 'cuda';
  report?: string;
  force?: boolean;
  inputScale?: string;
}

/** What `--report` refreshes without `--force`: a folder holding only an earlier predictions report. */
const OWN_REPORT = 'an earlier cnnx predictions report';

function isPredictionReport(folder: string): Promise<boolean> {
  return isCnnxReportFolder(folder, 'predictions.html', (name) => /^predictions\.(html|png|svg)$/.test(name));
}

/** What predict needs of a model, whichever format it came in. */
interface Predictor {
  /** The image the model takes; every file is prepared for it by the runtime's `prepareImage`. */
  image: ClassifierInfo['image'];
  /** Classifies one image, already prepared at the model's size. */
  classify(prepared: PreparedImage, topK: number): Promise<Classification>;
  release(): Promise<void>;
}

async function onnxPredictor(file: string, flags: PredictFlags): Promise<Predictor> {
  const { device, inputScale: scale } = flags;
  const classifier = await loadClassifier(file, flags.model, { device, inputScale: scale });
  const image = classifier.info.image;
  return {
    image,
    async classify({ pixels, channels }, topK) {
      const size = { width: image?.width ?? 0, height: image?.height ?? 0 };
      const [result] = await classifier.classify({ pixels, channels, ...size }, { topK });
      if (!result) throw new Error('the model returned no result');
      return result;
    },
    release: () => classifier.release(),
  };
}

/** A tfjs model folder or a Keras file: tfjs `predict` on the same prepared pixels, scaled as the model wants. */
async function layersPredictor(location: LayersLocation, flags: PredictFlags): Promise<Predictor> {
  if (!flags.prepare) {
    throw new UsageError(
      '--no-prepare works with .onnx models only; a tfjs or Keras model gets prepared digits',
    );
  }
  const { predict } = await import('@cnnx/train');
  const { model, inputScale: scale, classNames: named } = await openLayersModel(location, flags);
  const inputShape = (model.inputs[0]?.shape ?? []).slice(1);
  if (inputShape.join('×') !== '28×28×1') {
    model.dispose();
    throw new CliError(
      `--model ${flags.model} takes ${inputShape.map((size) => size ?? '?').join('×')} images; cnnx predict prepares 28×28×1 digits`,
    );
  }
  const classes = model.outputs[0]?.shape.at(-1) ?? 0;
  const classNames =
    named?.length === classes ? named : Array.from({ length: classes }, (_, index) => String(index));
  return {
    image: { height: 28, width: 28, channels: 1 },
    async classify({ pixels }, topK) {
      const probabilities = await predict(
        model,
        pixels instanceof Uint8Array ? pixels : Uint8Array.from(pixels),
        [28, 28, 1],
        { inputScale: scale },
      );
      return rankClasses(probabilities, classNames, Math.min(topK, classes));
    },
    async release() {
      model.dispose();
    },
  };
}

/** One line per image for the terminal: the file, then the top classes with their probabilities. */
function formatResult(file: string, result: Classification): string {
  const top = result.top.map((entry) => `${entry.label} ${(entry.probability * 100).toFixed(1)}%`).join('  ');
  return `${file}: ${result.label}  (${top})`;
}

/**
 * The report's row for one image: the decoded input (in colour), the cleaned page, the 28×28 image the model
 * saw, its top classes.
 */
function reportItem(file: string, prepared: PreparedImage, result: Classification): PredictionItem | null {
  const digit = prepared.digit;
  if (!digit?.source) return null;
  return {
    name: basename(file),
    image: digit.source,
    ...(digit.page ? { page: digit.page } : {}),
    prepared: { pixels: digit.pixels, width: 28, height: 28 },
    top: result.top.map(({ label, probability }) => ({ label, probability })),
  };
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
