/** The Node Classifier: loads from paths, URLs and bytes; classifies image files and Buffers too. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { prepareDigit } from '@cnnx/data';
import sharp from 'sharp';
import { Classifier as CoreClassifier, openClassifier, type SourceImage } from '../core/classifier.js';
import type { Classification, ClassifierOptions, ClassifyOptions, ImageInput } from '../types.js';
import { type ModelSource, readModelSource } from './source.js';
import { resolveSessionInWorker } from './worker-session.js';

/** What `classify` accepts in Node: decoded pixels, or an image file's path or bytes (`Buffer`). */
export type NodeImageInput = ImageInput | string | Buffer;

/**
 * Decodes an image file (path or bytes) with sharp into the model's size and channels, without preparation:
 * upright by EXIF, transparency on white, resized to fill, gray or RGB.
 */
async function decodeImage(
  input: string | Buffer,
  image: { height: number; width: number; channels: number },
): Promise<{ pixels: Uint8Array; width: number; height: number; channels: number }> {
  const name = typeof input === 'string' ? input : '(image bytes)';
  if (typeof input === 'string') {
    const info = await stat(input).catch((error: unknown) => {
      throw new Error(`${input}: does not exist`, { cause: error });
    });
    if (info.isDirectory()) throw new Error(`${input}: is a folder, expected an image file`);
    if (info.size === 0) throw new Error(`${input}: is empty`);
  } else if (input.length === 0) throw new Error(`${name}: is empty`);
  const channels = image.channels === 1 ? 1 : 3;
  let pipeline = sharp(input, { failOn: 'error' })
    .autoOrient()
    .flatten({ background: '#ffffff' })
    .resize(image.width, image.height, { fit: 'fill' });
  pipeline = channels === 1 ? pipeline.grayscale() : pipeline.removeAlpha().toColourspace('srgb');
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return {
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new Error(`${name}: is not an image sharp can read (${reason})`, { cause: error });
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * An image classifier on onnxruntime-node.
 *
 * @example
 * const classifier = await Classifier.load('model.onnx');
 * const [result] = await classifier.classify('digit.png');
 * console.log(result.label, result.probability); // → 7 0.998
 */
export class Classifier extends CoreClassifier {
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

  protected override async toSourceImage(
    input: unknown,
    index: number,
    options: ClassifyOptions = {},
  ): Promise<SourceImage> {
    if (typeof input === 'string' || Buffer.isBuffer(input)) {
      const image = this.info.image;
      if (options.prepare === false && image) {
        return super.toSourceImage(await decodeImage(input, image), index, options);
      }
      const prepared = await prepareDigit(input);
      return super.toSourceImage(
        { pixels: prepared.pixels, width: prepared.width, height: prepared.height },
        index,
      );
    }
    return super.toSourceImage(input, index, options);
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
