import { basename } from 'node:path';
import { type PreparedDigit, prepareDigit } from '@cnnx/data';
import { type Classification, Classifier } from '@cnnx/runtime';
// @cnnx/train (TensorFlow.js) is imported only for a tfjs model folder or --report
import type { PredictionItem } from '@cnnx/train';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { printJson, say } from '../io.js';
import { locateModel } from '../model-location.js';
import { choice, integer } from '../options.js';

interface PredictFlags {
  model: string;
  json?: boolean;
  top: number;
  prepare: boolean;
  device: 'auto' | 'cpu' | 'cuda';
  report?: string;
}

/** What predict needs of a model, whichever format it came in. */
interface Predictor {
  /** Classifies one image file, or its prepared 28×28 pixels when given. */
  classify(file: string, prepared: PreparedDigit | undefined, topK: number): Promise<Classification>;
  release(): Promise<void>;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

async function onnxPredictor(file: string, flags: PredictFlags): Promise<Predictor> {
  let classifier: Classifier;
  try {
    classifier = await Classifier.load(file, { device: flags.device });
  } catch (error) {
    const message = firstLine(error);
    throw new CliError(message.includes(file) ? message : `--model ${flags.model}: ${message}`, {
      cause: error,
    });
  }
  return {
    async classify(image, prepared, topK) {
      const input = prepared ? { pixels: prepared.pixels, width: 28, height: 28 } : image;
      const [result] = await classifier.classify(input, { topK, prepare: flags.prepare });
      if (!result) throw new Error('the model returned no result');
      return result;
    },
    release: () => classifier.release(),
  };
}

/** A tfjs model folder: tfjs `predict` on the same prepared pixels, class names from its manifest. */
async function tfjsPredictor(dir: string, flags: PredictFlags): Promise<Predictor> {
  if (!flags.prepare) {
    throw new UsageError(
      '--no-prepare works with .onnx models only; a tfjs model folder gets prepared digits',
    );
  }
  const { initBackend, loadModel, predict, readManifest } = await import('@cnnx/train');
  await initBackend('auto');
  const model = await loadModel(dir);
  const inputShape = (model.inputs[0]?.shape ?? []).slice(1);
  if (inputShape.join('×') !== '28×28×1') {
    model.dispose();
    throw new CliError(
      `--model ${flags.model} takes ${inputShape.map((size) => size ?? '?').join('×')} images; cnnx predict prepares 28×28×1 digits`,
    );
  }
  const classes = model.outputs[0]?.shape.at(-1) ?? 0;
  const manifest = (await readManifest(dir)) as { classNames?: unknown } | null;
  const classNames =
    Array.isArray(manifest?.classNames) && manifest.classNames.length === classes
      ? manifest.classNames.map(String)
      : Array.from({ length: classes }, (_, index) => String(index));
  return {
    async classify(_image, prepared, topK) {
      if (!prepared) throw new Error('no prepared pixels');
      const probabilities = await predict(model, prepared.pixels, [28, 28, 1]);
      const top = [...probabilities.keys()]
        .sort((a, b) => probabilities[b]! - probabilities[a]!)
        .slice(0, Math.min(topK, classes))
        .map((index) => ({ label: classNames[index]!, index, probability: probabilities[index]! }));
      return { ...top[0]!, top };
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

/** `cnnx predict --model MODEL IMAGE...`: the top classes of each image, prepared as MNIST was. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('predict')
    .description(
      'classify image files with an ONNX model or a tfjs model folder: top classes and probabilities',
    )
    .argument('<images...>', 'image files (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG)')
    .requiredOption('--model <path>', 'an .onnx file, a tfjs model folder, or a run folder')
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
    .option('--json', 'print one JSON array on stdout: [{file, label, index, probability, top}]')
    .addHelpText(
      'after',
      '\nExamples:\n  cnnx predict --model runs/quickstart/model.onnx digit.png photo.jpg --top 3 --json\n  cnnx predict --model runs/quickstart/model 7.png --report runs/predict',
    )
    .action(async (images: string[], flags: PredictFlags) => {
      if (flags.report && !flags.prepare) {
        throw new UsageError(
          '--report shows the prepared 28×28 images; it cannot be combined with --no-prepare',
        );
      }
      const location = await locateModel(flags.model);
      const predictor =
        location.kind === 'onnx'
          ? await onnxPredictor(location.file, flags)
          : await tfjsPredictor(location.dir, flags);
      const results: (Classification & { file: string })[] = [];
      const reportItems: PredictionItem[] = [];
      const failures: string[] = [];
      try {
        for (const file of images) {
          try {
            const prepared =
              flags.prepare && (location.kind === 'tfjs' || flags.report)
                ? await prepareDigit(file, {
                    keepSource: Boolean(flags.report),
                    keepPage: Boolean(flags.report),
                  })
                : undefined;
            const result = await predictor.classify(file, prepared, flags.top);
            results.push({ file, ...result });
            if (!flags.json) say(formatResult(file, result));
            if (prepared?.source) {
              reportItems.push({
                name: basename(file),
                image: prepared.source,
                ...(prepared.page ? { page: prepared.page } : {}),
                prepared: { pixels: prepared.pixels, width: 28, height: 28 },
                top: result.top.map(({ label, probability }) => ({ label, probability })),
              });
            }
          } catch (error) {
            const message = firstLine(error);
            failures.push(message.includes(file) ? message : `${file}: ${message}`);
          }
        }
      } finally {
        await predictor.release();
      }
      if (flags.report && reportItems.length > 0) {
        const { writePredictionReport } = await import('@cnnx/train');
        await writePredictionReport(flags.report, reportItems);
        say(`wrote ${flags.report}/predictions.html`);
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
