/**
 * The Classifier over any registered backend: reusable input buffers, probabilities, classification and raw
 * runs. Opening one is `open-classifier.ts`; preparing its images is `prepare-image.ts` (the entry hands
 * in how its inputs are prepared); ranking is `rank.ts`.
 */
import { affineOf, type PixelAffine } from '@cnnx/data/browser';
import type { Classification, ClassifierInfo, ClassifyOptions, ImageInput, TensorLike } from '../types.js';
import type { Backend, BackendSession } from './backend.js';
import { checkFeed, formatShape } from './feeds.js';
import type { ClassifierParts } from './open-classifier.js';
import { type ImageShape, writeImages } from './pixels.js';
import { isPixelArray, type ModelImage, preparePixels } from './prepare-image.js';
import { toProbabilities } from './probabilities.js';
import { rankClasses } from './rank.js';

/**
 * How an entry prepares one `classify` input for a model that takes `image` (the browser: {@link preparePixels};
 * Node: image files too).
 */
export type PrepareInput = (
  input: unknown,
  index: number,
  image: ImageShape,
  options: ClassifyOptions,
) => ModelImage | Promise<ModelImage>;

/** An input buffer and its tensor, reused while the batch size stays the same. */
interface InputSlot {
  data: Float32Array;
  tensor: TensorLike;
  busy: boolean;
}

const maxCachedBatchSizes = 8;

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
  readonly #prepare: PrepareInput;
  #released = false;

  /** @internal Entries construct classifiers through `Classifier.load`, with how they prepare inputs. */
  constructor(parts: ClassifierParts, prepare: PrepareInput = preparePixels) {
    this.info = parts.info;
    this.#prepare = prepare;
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
    const shape = this.#image();
    const images = await Promise.all(inputs.map((item, index) => this.#prepare(item, index, shape, options)));
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
