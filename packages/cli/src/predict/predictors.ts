import { basename } from 'node:path';
import { type Classification, type ClassifierInfo, type PreparedImage, rankClasses } from '@cnnx/runtime';
// @cnnx/train (TensorFlow.js) is imported only for a tfjs model folder, a Keras file or --report
import type { PredictionItem } from '@cnnx/train';
import { CliError, UsageError } from '../errors.js';
import { type LayersLocation, openLayersModel } from '../layers-model.js';
import { loadClassifier } from '../model-location.js';

/** The flags of `cnnx predict`, as commander parses them. */
export interface PredictFlags {
  model: string;
  json?: boolean;
  top: number;
  prepare: boolean;
  device: 'auto' | 'cpu' | 'cuda';
  report?: string;
  force?: boolean;
  inputScale?: string;
}

/** What predict needs of a model, whichever format it came in. */
export interface Predictor {
  /** The image the model takes; every file is prepared for it by the runtime's `prepareImage`. */
  image: ClassifierInfo['image'];
  /** Classifies one image, already prepared at the model's size. */
  classify(prepared: PreparedImage, topK: number): Promise<Classification>;
  release(): Promise<void>;
}

export async function onnxPredictor(file: string, flags: PredictFlags): Promise<Predictor> {
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
export async function layersPredictor(location: LayersLocation, flags: PredictFlags): Promise<Predictor> {
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
export function formatResult(file: string, result: Classification): string {
  const top = result.top.map((entry) => `${entry.label} ${(entry.probability * 100).toFixed(1)}%`).join('  ');
  return `${file}: ${result.label}  (${top})`;
}

/**
 * The report's row for one image: the decoded input (in colour), the cleaned page, the 28×28 image the model
 * saw, its top classes.
 */
export function reportItem(
  file: string,
  prepared: PreparedImage,
  result: Classification,
): PredictionItem | null {
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
