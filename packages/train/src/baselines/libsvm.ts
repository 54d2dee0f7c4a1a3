/**
 * libsvm (through libsvm-js, libsvm compiled to wasm) with the images handed over as libsvm's sparse
 * nodes. libsvm-js's own `train(samples, labels)` stores every pixel, zeros included, and its kernel then
 * walks all 784 of them for each pair of images; writing only the non-zero pixels, as libsvm's own data
 * files do, gives the same kernel values and trained 5× faster on the digits (15.8 s instead of 79 s).
 *
 * Loading libsvm-js has side effects on the process it runs in (it listens for unhandled rejections and then
 * exits, and prints through `console`), so this module is only imported inside the SVC worker thread.
 */
import { createRequire } from 'node:module';

/** The parts of the emscripten module of libsvm-js that cnnx calls. */
interface LibsvmModule {
  load(): Promise<void>;
  cwrap(name: string, returns: 'number' | null, args: string[]): (...args: (number | string)[]) => number;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPF64: Float64Array;
}

/**
 * A trained C-SVC's decision function, as libsvm saves it: support vectors grouped by class in `labels`
 * order, `coefficients[k × (classes − 1) + m]` = libsvm's sv_coef[m][k], and one `rho` per pair of classes.
 */
export interface SvcDecision {
  labels: number[];
  /** Support vectors of each class, in `labels` order. */
  perClass: number[];
  /** The training image (index into the images given to `train`) of each support vector. */
  supportImages: Int32Array;
  coefficients: Float64Array;
  rho: Float64Array;
}

/** A C-SVC with an RBF kernel, as scikit-learn's `SVC(C, gamma)` trains it. */
export interface SvcParameters {
  /** The RBF kernel's γ: exp(−γ‖a − b‖²). */
  gamma: number;
  /** The penalty C (scikit-learn's default 1). */
  cost: number;
  /** Kernel cache in MB (scikit-learn's default 200). */
  cacheMb: number;
}

/** Images as libsvm reads them: `count` rows of `features` bytes, scaled by 1/255. */
export interface SvcImages {
  images: Uint8Array;
  count: number;
  features: number;
}

/** Bytes of one `struct svm_node { int index; double value; }` in wasm32 (4 + 4 padding + 8). */
const NODE_BYTES = 16;

/**
 * Loads libsvm's wasm build. Node 20 has a global `fetch`, which makes the emscripten loader try to fetch
 * the `.wasm` by file path, fail, print a warning and only then read the file; without `fetch` it reads the
 * file from disk at once, with no network involved.
 */
export async function loadLibsvm(): Promise<Libsvm> {
  const global = globalThis as { fetch?: unknown };
  const fetch = global.fetch;
  delete global.fetch;
  try {
    const require = createRequire(import.meta.url);
    const module = require('libsvm-js/out/wasm/libsvm.js') as LibsvmModule;
    await module.load();
    return new Libsvm(module);
  } finally {
    if (fetch !== undefined) global.fetch = fetch;
  }
}

/** libsvm's C functions that libsvm-js exports, wrapped for typed arrays. */
export class Libsvm {
  readonly #module: LibsvmModule;
  readonly #createNodes: (count: number, width: number) => number;
  readonly #trainProblem: (problem: number, command: string) => number;
  readonly #supportVectors: (model: number) => number;
  readonly #supportIndices: (model: number, into: number) => void;
  readonly #serialize: (model: number) => number;
  readonly #freeModel: (model: number) => void;
  readonly #freeProblem: (problem: number) => void;

  constructor(module: LibsvmModule) {
    this.#module = module;
    this.#createNodes = module.cwrap('create_svm_nodes', 'number', ['number', 'number']);
    this.#trainProblem = module.cwrap('libsvm_train_problem', 'number', ['number', 'string']);
    this.#supportVectors = module.cwrap('svm_get_nr_sv', 'number', ['number']);
    this.#supportIndices = module.cwrap('svm_get_sv_indices', null, ['number', 'number']);
    this.#serialize = module.cwrap('serialize_model', 'number', ['number']);
    this.#freeModel = module.cwrap('svm_free_model', null, ['number']);
    this.#freeProblem = module.cwrap('free_problem', null, ['number']);
  }

  /**
   * Trains a C-SVC on `train` (libsvm's one-vs-one over every pair of classes). The images are handed to
   * libsvm sorted by label, so libsvm lists the classes in ascending order, as scikit-learn's copy of libsvm
   * does, and a tied vote goes to the smaller class in both.
   *
   * @example
   * const model = libsvm.train(train, labels, { gamma: 0.0134, cost: 1, cacheMb: 200 });
   * model.decision().perClass; // support vectors of each class, [234, 168, 373, …] on the digits
   */
  train(train: SvcImages, labels: Uint8Array, parameters: SvcParameters): SvcModel {
    const { images, count, features } = train;
    let widest = 0;
    for (let image = 0; image < count; image++) {
      let nonZero = 0;
      for (let pixel = image * features; pixel < (image + 1) * features; pixel++)
        if (images[pixel]) nonZero++;
      widest = Math.max(widest, nonZero);
    }
    const problem = this.#createNodes(count, widest);
    if (problem === 0) throw new RangeError(`libsvm could not allocate the nodes of ${count} images`);
    try {
      const order = this.#fillProblem(problem, train, labels, widest);
      const command = `-s 0 -t 2 -g ${parameters.gamma} -c ${parameters.cost} -m ${parameters.cacheMb} -e 0.001 -h 1`;
      const model = this.#trainProblem(problem, command);
      if (model === 0) throw new Error('libsvm returned no model');
      return new SvcModel(this, model, problem, order);
    } catch (error) {
      this.#freeProblem(problem);
      throw error;
    }
  }

  /**
   * Writes each image's non-zero pixels as (index, value) nodes, ending with index −1, and its label, in
   * label order; returns the image at each row.
   */
  #fillProblem(problem: number, train: SvcImages, labels: Uint8Array, widest: number): number[] {
    const { images, count, features } = train;
    const heap32 = this.#module.HEAP32;
    const heap64 = this.#module.HEAPF64;
    // struct svm_problem { int l; double *y; struct svm_node **x; } in wasm32.
    const labelsAt = heap32[(problem >> 2) + 1] as number;
    const rowsAt = heap32[(problem >> 2) + 2] as number;
    const stride = (heap32[(rowsAt >> 2) + 1] ?? 0) - (heap32[rowsAt >> 2] ?? 0);
    if (heap32[problem >> 2] !== count || (count > 1 && stride !== (widest + 1) * NODE_BYTES)) {
      throw new Error(
        'libsvm-js laid out its problem unlike libsvm 3 on wasm32; this version is not supported',
      );
    }
    const order = Array.from({ length: count }, (_, image) => image);
    order.sort((a, b) => (labels[a] as number) - (labels[b] as number) || a - b);
    order.forEach((image, row) => {
      let node = heap32[(rowsAt >> 2) + row] as number;
      const offset = image * features;
      for (let pixel = 0; pixel < features; pixel++) {
        const value = images[offset + pixel] as number;
        if (value === 0) continue;
        heap32[node >> 2] = pixel + 1;
        heap64[(node + 8) >> 3] = value / 255;
        node += NODE_BYTES;
      }
      heap32[node >> 2] = -1;
      heap64[(labelsAt >> 3) + row] = labels[image] as number;
    });
    return order;
  }

  /**
   * The decision function of `model`: the coefficients and rho from libsvm's own saved text (printed with
   * 17 significant digits, so they read back exactly), the support vectors' rows from svm_get_sv_indices.
   */
  decision(model: number, order: readonly number[]): SvcDecision {
    const count = this.#supportVectors(model);
    const indices = this.allocate(Math.max(1, count) * 4);
    this.#supportIndices(model, indices);
    const supportImages = Int32Array.from(
      this.#module.HEAP32.subarray(indices >> 2, (indices >> 2) + count),
      (row) => order[row - 1] as number,
    );
    this.#module._free(indices);
    const text = this.#serialize(model);
    if (text === 0) throw new Error('libsvm could not save its model');
    const heap = this.#module.HEAPU8;
    const end = heap.indexOf(0, text);
    const saved = new TextDecoder().decode(heap.subarray(text, end));
    this.#module._free(text);
    return parseDecision(saved, supportImages);
  }

  allocate(bytes: number): number {
    const pointer = this.#module._malloc(bytes);
    if (pointer === 0) throw new RangeError(`libsvm could not allocate ${bytes} bytes`);
    return pointer;
  }

  release(model: number, problem: number): void {
    this.#freeModel(model);
    this.#freeProblem(problem);
  }
}

/** A trained libsvm model; the training nodes stay allocated because libsvm's support vectors point into them. */
export class SvcModel {
  readonly #libsvm: Libsvm;
  readonly #model: number;
  readonly #problem: number;
  readonly #order: readonly number[];

  constructor(libsvm: Libsvm, model: number, problem: number, order: readonly number[]) {
    this.#libsvm = libsvm;
    this.#model = model;
    this.#problem = problem;
    this.#order = order;
  }

  /** The decision function, to evaluate outside libsvm. */
  decision(): SvcDecision {
    return this.#libsvm.decision(this.#model, this.#order);
  }

  release(): void {
    this.#libsvm.release(this.#model, this.#problem);
  }
}

/** Reads the header and the coefficient columns of libsvm's saved model text. */
function parseDecision(saved: string, supportImages: Int32Array): SvcDecision {
  const lines = saved.split('\n');
  const field = (name: string) => {
    const line = lines.find((candidate) => candidate.startsWith(`${name} `));
    if (line === undefined) throw new Error(`libsvm's saved model has no '${name}' line`);
    return line
      .slice(name.length + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
  };
  const labels = field('label');
  const perClass = field('nr_sv');
  const rho = Float64Array.from(field('rho'));
  const columns = labels.length - 1;
  const first = lines.indexOf('SV') + 1;
  const coefficients = new Float64Array(supportImages.length * columns);
  for (let vector = 0; vector < supportImages.length; vector++) {
    const tokens = (lines[first + vector] ?? '').trim().split(/\s+/);
    for (let column = 0; column < columns; column++) {
      coefficients[vector * columns + column] = Number(tokens[column]);
    }
  }
  if (
    first === 0 ||
    coefficients.some(Number.isNaN) ||
    perClass.reduce((sum, value) => sum + value, 0) !== supportImages.length
  ) {
    throw new Error("libsvm's saved model does not read as a C-SVC with one line per support vector");
  }
  return { labels, perClass, supportImages, coefficients, rho };
}
