/** The Classifier contract and its implementation over any registered backend. */
import { affineOf, luma, type PixelAffine, prepareDigitPixels, rgbaToGray } from '@cnnx/data/browser';
import { OnnxFormatError } from '../errors.js';
import type {
  Classification,
  ClassifierInfo,
  ClassifierOptions,
  ClassifyOptions,
  ImageInput,
  TensorLike,
  ValueInfo,
} from '../types.js';
import { type Backend, type BackendSession, type BackendSessionOptions, resolveSession } from './backend.js';
import { type ModelReading, readModel } from './model-metadata.js';
import { ProtobufError, readOnnxSummary } from './onnx-model.js';
import { type ImageShape, writeImages } from './pixels.js';
import { rankClasses } from './rank.js';

/** An input buffer and its tensor, reused while the batch size stays the same. */
interface InputSlot {
  data: Float32Array;
  tensor: TensorLike;
  busy: boolean;
}

const maxCachedBatchSizes = 8;
const devices = ['auto', 'cpu', 'cuda', 'webgpu', 'wasm'];

/** Everything {@link openClassifier} hands to the Classifier constructor. */
export interface ClassifierParts {
  backend: Backend;
  session: BackendSession;
  info: ClassifierInfo;
  reading: ModelReading;
}

/** Checks the options every entry shares and turns them into onnxruntime session options. */
function sessionOptionsOf(options: ClassifierOptions): BackendSessionOptions {
  const session: BackendSessionOptions = {};
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 0) {
      throw new RangeError(`'threads' must be an integer ≥ 0, got ${options.threads}`);
    }
    session.intraOpNumThreads = options.threads;
  }
  if (options.graphOptimizationLevel !== undefined) {
    if (!['disabled', 'basic', 'extended', 'all'].includes(options.graphOptimizationLevel)) {
      throw new RangeError(
        `'graphOptimizationLevel' must be one of disabled, basic, extended, all, got '${options.graphOptimizationLevel}'`,
      );
    }
    session.graphOptimizationLevel = options.graphOptimizationLevel;
  }
  if (options.executionMode !== undefined) {
    if (options.executionMode !== 'sequential' && options.executionMode !== 'parallel') {
      throw new RangeError(`'executionMode' must be sequential or parallel, got '${options.executionMode}'`);
    }
    session.executionMode = options.executionMode;
  }
  if (options.memoryArena !== undefined) session.enableCpuMemArena = Boolean(options.memoryArena);
  if (options.optimizedModelFilePath !== undefined)
    session.optimizedModelFilePath = options.optimizedModelFilePath;
  return session;
}

/**
 * Opens a classifier on ONNX bytes: reads the file's summary (failing with {@link OnnxFormatError} on bytes that
 * are not ONNX or are truncated), resolves a device among the registered backends, and reads the metadata.
 * The entries' `Classifier.load` call this after turning their source into bytes; `sessionModel` lets the
 * Node entry open a cached optimised graph instead of `bytes`, with its own session options.
 *
 * @example
 * const parts = await openClassifier(bytes, 'model.onnx', { device: 'auto' });
 * const classifier = new Classifier(parts);
 */
export async function openClassifier(
  bytes: Uint8Array,
  file: string,
  options: ClassifierOptions = {},
  sessionModel?: (sessionOptions: BackendSessionOptions) => {
    bytes: Uint8Array;
    options: BackendSessionOptions;
  },
  resolve: typeof resolveSession = resolveSession,
): Promise<ClassifierParts> {
  const device = options.device ?? 'auto';
  if (!devices.includes(device)) {
    throw new RangeError(`'device' must be one of ${devices.join(', ')}, got '${String(device)}'`);
  }
  const sessionOptions = sessionOptionsOf(options);
  let summary: ReturnType<typeof readOnnxSummary>;
  try {
    summary = readOnnxSummary(bytes);
  } catch (error) {
    if (error instanceof ProtobufError) throw new OnnxFormatError(file, error.message, { cause: error });
    throw error;
  }
  const inputs = summary.inputs.filter((input) => !summary.initializers.has(input.name));
  const reading = readModel(inputs, summary.outputs, summary.metadata, options);
  const opened = sessionModel ? sessionModel(sessionOptions) : { bytes, options: sessionOptions };
  const resolved = await resolve(device, opened.bytes, opened.options);
  const described = resolved.backend.describe?.(resolved.session) ?? null;
  const info: ClassifierInfo = {
    device: resolved.device,
    provider: resolved.backend.provider,
    skipped: resolved.skipped,
    inputs: described?.inputs ?? inputs,
    outputs: described?.outputs ?? summary.outputs,
    opset: summary.opset,
    classNames: reading.classNames,
    layout: reading.layout,
    scale: reading.scale,
    image: reading.image,
    sources: reading.sources,
    outputKind: 'unknown',
    optimizedModelCache: null,
    threads: options.threads || null,
  };
  return { backend: resolved.backend, session: resolved.session, info, reading };
}

function isImageDataLike(
  input: unknown,
): input is { data: Uint8ClampedArray; width: number; height: number } {
  return (
    typeof input === 'object' && input !== null && 'data' in input && input.data instanceof Uint8ClampedArray
  );
}

function isImagePixels(input: unknown): input is { pixels: unknown; width: number; height: number } {
  return typeof input === 'object' && input !== null && 'pixels' in input;
}

function isPixelArray(value: unknown): value is Uint8Array | Uint8ClampedArray | Float32Array {
  return value instanceof Uint8Array || value instanceof Uint8ClampedArray || value instanceof Float32Array;
}

/** One image ready to be written into the batch buffer. */
export interface SourceImage {
  pixels: Uint8Array | Uint8ClampedArray | Float32Array;
  channels: number;
}

/** An image of any size as MNIST's 28×28 digit (`@cnnx/data`'s preparation: polarity, crop, centre). */
function prepareDigit(
  pixels: Uint8Array | Uint8ClampedArray | Float32Array,
  width: number,
  height: number,
  channels: number,
  index: number,
): Uint8Array {
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `image ${index} must hold ${width}×${height}×${channels} = ${width * height * channels} values, got ${pixels.length}`,
    );
  }
  if (pixels instanceof Float32Array) {
    const bad = pixels.findIndex((value) => !(value >= 0 && value <= 255));
    if (bad >= 0)
      throw new RangeError(
        `image ${index}: pixel ${bad} is ${pixels[bad]}; pixels must be numbers from 0 to 255`,
      );
  }
  let gray: Uint8Array | Uint8ClampedArray | Float32Array = pixels;
  if (channels === 4)
    gray = rgbaToGray(pixels instanceof Float32Array ? Uint8Array.from(pixels) : pixels, width, height);
  else if (channels === 3) {
    gray = new Float32Array(width * height);
    for (let p = 0; p < gray.length; p++) {
      gray[p] = luma(pixels[p * 3] as number, pixels[p * 3 + 1] as number, pixels[p * 3 + 2] as number);
    }
  }
  return prepareDigitPixels(gray, width, height).pixels;
}

/** Turns `rows` of scores into probabilities in place when they are logits; says which they were. */
function toProbabilities(scores: Float32Array, classes: number): 'probabilities' | 'logits' {
  const rows = scores.length / classes;
  let distributions = true;
  for (let row = 0; row < rows && distributions; row++) {
    let sum = 0;
    for (let k = row * classes; k < (row + 1) * classes; k++) {
      const value = scores[k] as number;
      if (!(value >= 0 && value <= 1)) {
        distributions = false;
        break;
      }
      sum += value;
    }
    if (Math.abs(sum - 1) > 1e-3) distributions = false;
  }
  if (distributions) return 'probabilities';
  for (let row = 0; row < rows; row++) {
    const start = row * classes;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = start; k < start + classes; k++) max = Math.max(max, scores[k] as number);
    let sum = 0;
    for (let k = start; k < start + classes; k++) {
      const e = Math.exp((scores[k] as number) - max);
      scores[k] = e;
      sum += e;
    }
    for (let k = start; k < start + classes; k++) scores[k] = (scores[k] as number) / sum;
  }
  return 'logits';
}

function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * An image classifier on ONNX Runtime. Get one with `Classifier.load` from `@cnnx/runtime` (Node or browser;
 * the package's export conditions pick the entry).
 */
export class Classifier {
  /** What runs and how the model is read: device, provider, skipped devices, inputs, outputs, opset, classes. */
  readonly info: ClassifierInfo;
  readonly #backend: Backend;
  readonly #session: BackendSession;
  readonly #inputName: string;
  readonly #outputName: string;
  readonly #affine: PixelAffine;
  readonly #slots = new Map<number, InputSlot>();
  #released = false;

  /** @internal Entries construct classifiers through `Classifier.load`. */
  constructor(parts: ClassifierParts) {
    this.info = parts.info;
    this.#backend = parts.backend;
    this.#session = parts.session;
    this.#inputName = parts.reading.input.name;
    this.#outputName = parts.reading.output.name;
    this.#affine = affineOf(parts.reading.scale);
  }

  /** The class names, in output order. */
  get classNames(): string[] {
    return this.info.classNames;
  }

  #image(): ImageShape {
    const image = this.info.image;
    if (image === null) {
      const input = this.info.inputs.find((i) => i.name === this.#inputName);
      throw new TypeError(
        `the model's input '${this.#inputName}' ${formatShape(input?.shape ?? [])} is not a fixed-size image; use run() with tensors`,
      );
    }
    return image;
  }

  /**
   * Why this classifier can no longer run the model, or undefined while it can: released, or (with
   * `worker: true`) its onnxruntime worker thread stopped. A server turns unready on it.
   *
   * @example
   * if (classifier.failure) console.error(`cannot classify: ${classifier.failure.message}`);
   */
  get failure(): Error | undefined {
    if (this.#released) return new Error('this Classifier was released; load the model again');
    return this.#session.failure;
  }

  #checkOpen(): void {
    if (this.#released) throw new Error('this Classifier was released; load the model again');
  }

  /** A reusable input buffer for `count` images (a fresh one when the cached one is in use by another call). */
  #acquire(count: number, shape: ImageShape): InputSlot {
    const cached = this.#slots.get(count);
    if (cached && !cached.busy) {
      cached.busy = true;
      return cached;
    }
    const data = new Float32Array(count * shape.height * shape.width * shape.channels);
    const dims =
      this.info.layout === 'nhwc'
        ? [count, shape.height, shape.width, shape.channels]
        : [count, shape.channels, shape.height, shape.width];
    const input = this.info.inputs.find((i) => i.name === this.#inputName);
    const slot: InputSlot = {
      data,
      tensor: this.#backend.createTensor(
        'float32',
        data,
        input?.shape.length === 3 ? [count, shape.height, shape.width] : dims,
      ),
      busy: true,
    };
    if (!cached) {
      if (this.#slots.size >= maxCachedBatchSizes) {
        const oldest = this.#slots.keys().next().value;
        if (oldest !== undefined) this.#slots.delete(oldest);
      }
      this.#slots.set(count, slot);
    }
    return slot;
  }

  async #infer(slot: InputSlot): Promise<Float32Array> {
    try {
      const outputs = await this.#session.run({ [this.#inputName]: slot.tensor });
      const output = outputs[this.#outputName];
      if (!output || !(output.data instanceof Float32Array)) {
        throw new TypeError(`the model's output '${this.#outputName}' is not a float32 tensor`);
      }
      this.info.outputKind = toProbabilities(
        output.data,
        this.info.classNames.length || output.dims.at(-1) || 1,
      );
      return output.data;
    } finally {
      slot.busy = false;
    }
  }

  /**
   * Class probabilities for `count` images given as one array of raw pixels (0-255; `Uint8Array` or
   * `Float32Array`), each image height × width × channels at the model's size. Returns count × classes.
   *
   * @example
   * const probabilities = await classifier.probabilities(pixels, 2); // pixels: 2 × 784 bytes
   * probabilities.length; // → 20
   */
  async probabilities(
    pixels: Uint8Array | Uint8ClampedArray | Float32Array,
    count: number,
  ): Promise<Float32Array> {
    this.#checkOpen();
    if (!isPixelArray(pixels))
      throw new TypeError(`'pixels' must be a Uint8Array or Float32Array, got ${typeof pixels}`);
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(
        `'count' must be an integer ≥ 1 (an empty batch has nothing to classify), got ${count}`,
      );
    }
    const shape = this.#image();
    const perImage = shape.height * shape.width * shape.channels;
    const grayPerImage = shape.height * shape.width;
    let channels: number;
    if (pixels.length === count * perImage) channels = shape.channels;
    else if (pixels.length === count * grayPerImage) channels = 1;
    else {
      throw new RangeError(
        `'pixels' must hold ${count} × ${shape.height}×${shape.width}×${shape.channels} = ${count * perImage} values, got ${pixels.length}`,
      );
    }
    const slot = this.#acquire(count, shape);
    try {
      writeImages(
        pixels,
        0,
        channels,
        slot.data,
        0,
        count,
        shape,
        this.info.layout,
        this.#affine,
        "'pixels'",
      );
    } catch (error) {
      slot.busy = false;
      throw error;
    }
    return this.#infer(slot);
  }

  /** Turns one `classify` input into pixels at the model's size (entries extend this for files and Buffers). */
  protected async toSourceImage(
    input: unknown,
    index: number,
    options: ClassifyOptions = {},
  ): Promise<SourceImage> {
    const shape = this.#image();
    let pixels: unknown;
    let width: unknown;
    let height: unknown;
    let channels: number;
    if (isImageDataLike(input)) {
      ({ data: pixels, width, height } = input);
      channels = 4;
    } else if (isImagePixels(input)) {
      ({ pixels, width, height } = input);
      const given = (input as { channels?: unknown }).channels;
      channels = given === undefined ? 1 : Number(given);
      if (![1, 3, 4].includes(channels)) {
        throw new RangeError(`image ${index}: 'channels' must be 1, 3 or 4, got ${String(given)}`);
      }
    } else if (isPixelArray(input)) {
      pixels = input;
      width = shape.width;
      height = shape.height;
      channels = input.length === shape.height * shape.width * shape.channels ? shape.channels : 1;
    } else {
      throw new TypeError(
        `image ${index} must be { pixels, width, height }, an ImageData or a typed array of pixels, got ${input === null ? 'null' : typeof input}`,
      );
    }
    if (!isPixelArray(pixels))
      throw new TypeError(`image ${index}: 'pixels' must be a Uint8Array or Float32Array`);
    if (width !== shape.width || height !== shape.height) {
      const digitModel = shape.width === 28 && shape.height === 28 && shape.channels === 1;
      if (!digitModel || options.prepare === false || !Number.isInteger(width) || !Number.isInteger(height)) {
        throw new RangeError(
          `image ${index} is ${String(width)}×${String(height)} but the model takes ${shape.width}×${shape.height}; resize it first`,
        );
      }
      return {
        pixels: prepareDigit(pixels, width as number, height as number, channels, index),
        channels: 1,
      };
    }
    if (pixels.length !== shape.width * shape.height * channels) {
      throw new RangeError(
        `image ${index} must hold ${shape.width}×${shape.height}×${channels} = ${shape.width * shape.height * channels} values, got ${pixels.length}`,
      );
    }
    return { pixels, channels };
  }

  /**
   * Classifies one image or a batch: decoded pixels (`{ pixels, width, height, channels? }`), an `ImageData`,
   * or a typed array of one image at the model's size (in Node also a file path or a `Buffer` of an image
   * file). Returns one {@link Classification} per image, with the `topK` best classes (default 3).
   *
   * @example
   * const [result] = await classifier.classify({ pixels, width: 28, height: 28 });
   * // → { label: '7', index: 7, probability: 0.998, top: [{ label: '7', … }, { label: '1', … }, { label: '9', … }] }
   */
  async classify(
    input: ImageInput | readonly ImageInput[],
    options: ClassifyOptions = {},
  ): Promise<Classification[]> {
    this.#checkOpen();
    const classes = this.info.classNames.length;
    const topK = options.topK ?? Math.min(3, classes);
    if (!Number.isInteger(topK) || topK < 1)
      throw new RangeError(`'topK' must be an integer ≥ 1, got ${topK}`);
    const inputs: readonly unknown[] = Array.isArray(input) ? input : [input];
    if (inputs.length === 0) throw new RangeError("'input' is an empty batch: give at least one image");
    const images = await Promise.all(inputs.map((item, index) => this.toSourceImage(item, index, options)));
    const shape = this.#image();
    const perImage = shape.height * shape.width * shape.channels;
    const slot = this.#acquire(images.length, shape);
    try {
      images.forEach((image, index) => {
        writeImages(
          image.pixels,
          0,
          image.channels,
          slot.data,
          index * perImage,
          1,
          shape,
          this.info.layout,
          this.#affine,
          `image ${index}`,
        );
      });
    } catch (error) {
      slot.busy = false;
      throw error;
    }
    const probabilities = await this.#infer(slot);
    return images.map((_, image) =>
      rankClasses(
        probabilities.subarray(image * classes, (image + 1) * classes),
        this.info.classNames,
        Math.min(topK, classes),
      ),
    );
  }

  /**
   * Runs the model on raw tensors (for models that are not classifiers, or to skip the pixel handling).
   * Each feed is checked against the model's inputs: a missing name, a wrong type or shape throws a
   * RangeError naming the expected and the given shape.
   *
   * @example
   * const outputs = await classifier.run({ image: { type: 'float32', dims: [1, 28, 28, 1], data: new Float32Array(784) } });
   * outputs.probabilities.dims; // → [1, 10]
   */
  async run(feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>> {
    this.#checkOpen();
    if (typeof feeds !== 'object' || feeds === null)
      throw new TypeError("'feeds' must be an object of tensors by input name");
    const tensors: Record<string, TensorLike> = {};
    const expected = this.info.inputs;
    for (const name of Object.keys(feeds)) {
      if (!expected.some((input) => input.name === name)) {
        throw new RangeError(
          `the model has no input '${name}'; its inputs are ${expected.map((i) => `'${i.name}'`).join(', ')}`,
        );
      }
    }
    for (const input of expected) {
      const feed = feeds[input.name];
      if (!feed)
        throw new RangeError(`missing input '${input.name}' ${formatShape(input.shape)} (${input.type})`);
      checkFeed(input, feed);
      tensors[input.name] =
        feed.type === 'float32' && feed.data instanceof Float32Array
          ? this.#backend.createTensor('float32', feed.data, feed.dims)
          : feed;
    }
    return this.#session.run(tensors);
  }

  /**
   * Frees the onnxruntime session. Later calls throw.
   *
   * @example
   * await classifier.release();
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#slots.clear();
    await this.#session.release();
  }
}

function checkFeed(input: ValueInfo, feed: TensorLike): void {
  const dims = feed.dims;
  const got = `got ${formatShape(dims ?? [])} (${feed.type})`;
  const wanted = `input '${input.name}' expects ${formatShape(input.shape)} (${input.type})`;
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`${wanted}, got dims ${String(dims)}`);
  }
  if (input.type !== 'unknown' && feed.type !== input.type) throw new RangeError(`${wanted}, ${got}`);
  const shapeMatches =
    input.shape.length === 0 ||
    (dims.length === input.shape.length &&
      input.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === dims[i]));
  if (!shapeMatches) throw new RangeError(`${wanted}, ${got}`);
  const data = feed.data as { length?: unknown } | null;
  const size = dims.reduce((a, b) => a * b, 1);
  if (data && typeof data.length === 'number' && data.length !== size) {
    throw new RangeError(
      `${wanted}: dims ${formatShape(dims)} need ${size} values, the data has ${data.length}`,
    );
  }
}
