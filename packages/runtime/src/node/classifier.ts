/** The Node Classifier: loads from paths, URLs and bytes; classifies image files and Buffers too. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { sha256 } from '@cnnx/data';
import { Classifier as CoreClassifier } from '../core/classifier.js';
import { type ClassifierParts, openClassifier } from '../core/open-classifier.js';
import type { Classification, ClassifierOptions, ClassifyOptions, ImageInput } from '../types.js';
import { type NodeImageInput, prepareImage } from './prepare-image.js';
import { type ModelSource, readModelSource } from './source.js';
import { resolveSessionInWorker } from './worker-session.js';

/**
 * An image classifier on onnxruntime-node.
 *
 * @example
 * const classifier = await Classifier.load('model.onnx');
 * const [result] = await classifier.classify('digit.png');
 * console.log(result.label, result.probability); // → 7 0.998
 */
export class Classifier extends CoreClassifier {
  /** @internal `Classifier.load` constructs it; image files are prepared by `prepareImage`. */
  constructor(parts: ClassifierParts) {
    super(parts, (input, index, image, options) =>
      prepareImage(input as NodeImageInput, index, image, options),
    );
  }

  /**
   * Loads an ONNX model from a path, a `file:`/`http(s):` URL, a `Uint8Array` or an `ArrayBuffer`.
   * `device: 'auto'` (default) tries CUDA then CPU; `info.skipped` says why CUDA was skipped.
   *
   * @example
   * const classifier = await Classifier.load('model.onnx', { device: 'cpu', threads: 1 });
   * classifier.info.provider; // → 'cpu'
   */
  static async load(source: ModelSource, options: ClassifierOptions = {}): Promise<Classifier> {
    const { bytes, file } = await readModelSource(source);
    const resolve = options.worker ? resolveSessionInWorker : undefined;
    const cachePath = options.optimizedModelFilePath;
    if (cachePath === undefined)
      return new Classifier(await openClassifier(bytes, file, options, undefined, resolve));

    // The cache holds the optimised graph; a sidecar holds the SHA-256 of the model it came from.
    const digest = sha256(bytes);
    const sidecar = `${cachePath}.source-sha256`;
    let cached: Uint8Array | null = null;
    try {
      if ((await readFile(sidecar, 'utf8')).trim() === digest)
        cached = new Uint8Array(await readFile(cachePath));
    } catch {
      cached = null;
    }
    const temporary = `${cachePath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const parts = await openClassifier(
      bytes,
      file,
      options,
      (sessionOptions) => {
        const { optimizedModelFilePath: _, ...rest } = sessionOptions;
        if (cached) return { bytes: cached, options: { ...rest, graphOptimizationLevel: 'disabled' } };
        // onnxruntime warns that the optimised graph may be specific to this machine: that is what a cache is.
        return { bytes, options: { ...rest, optimizedModelFilePath: temporary, logSeverityLevel: 3 } };
      },
      resolve,
    );
    if (cached) {
      parts.info.optimizedModelCache = 'read';
    } else {
      try {
        readFileSync(temporary); // onnxruntime wrote it while opening the session
        await rename(temporary, cachePath);
        await writeFile(sidecar, `${digest}\n`);
        parts.info.optimizedModelCache = 'written';
      } catch {
        await rm(temporary, { force: true });
      }
    }
    return new Classifier(parts);
  }

  /**
   * Classifies decoded pixels, `ImageData`, or image files (paths or Buffers, prepared with `prepareDigit`).
   *
   * @example
   * const results = await classifier.classify(['three.png', 'seven.jpg'], { topK: 2 });
   * results.map((r) => r.label); // → ['3', '7']
   */
  override classify(
    input: NodeImageInput | readonly NodeImageInput[],
    options?: ClassifyOptions,
  ): Promise<Classification[]> {
    return super.classify(input as ImageInput | ImageInput[], options);
  }
}
