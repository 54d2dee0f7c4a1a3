import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { nhwcToNchw, randomUniform } from '../src/random.js';

await tf.setBackend('cpu');
tf.env().set('IS_TEST', true);

/**
 * The `classic` CNN of the project (Conv32-same, MaxPool, Conv64-same, MaxPool, Dense128, Dense10), with
 * random weights drawn from seeded Glorot initializers, so a test sees the same model on every run.
 */
export function buildClassic(options: { dropout?: boolean; seed?: number } = {}): tf.Sequential {
  const seed = options.seed ?? 1;
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 10 + offset });
  const model = tf.sequential({ name: 'classic' });
  model.add(
    tf.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 32,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(
    tf.layers.conv2d({
      filters: 64,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(2),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(3) }));
  if (options.dropout) model.add(tf.layers.dropout({ rate: 0.5 }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(4) }));
  return model;
}

/** Runs ONNX bytes with onnxruntime-node on NHWC `inputs` (converted when the model is NCHW). */
export async function runOnnx(
  bytes: Uint8Array,
  inputs: { data: Float32Array; shape: number[] }[],
  layout: 'nhwc' | 'nchw' = 'nhwc',
): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    inputs.forEach((input, index) => {
      const name = session.inputNames[index]!;
      if (layout === 'nchw' && input.shape.length === 4) {
        const [n, h, w, c] = input.shape as [number, number, number, number];
        feeds[name] = new ort.Tensor('float32', nhwcToNchw(input.data, input.shape), [n, c, h, w]);
      } else {
        feeds[name] = new ort.Tensor('float32', input.data, input.shape);
      }
    });
    const results = await session.run(feeds);
    return session.outputNames.map((name) => results[name]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** tfjs's outputs for the same inputs. */
export function runTfjs(
  model: tf.LayersModel,
  inputs: { data: Float32Array; shape: number[] }[],
): Float32Array[] {
  return tf.tidy(() => {
    const tensors = inputs.map((input) => tf.tensor(input.data, input.shape));
    const output = model.predict(tensors.length === 1 ? tensors[0]! : tensors);
    return (Array.isArray(output) ? output : [output]).map((tensor) => tensor.dataSync() as Float32Array);
  });
}

/** Random inputs (uniform in [-1, 1)) for every model input at `batch`. */
export function randomInputs(
  model: tf.LayersModel,
  batch: number,
  seed = 7,
): { data: Float32Array; shape: number[] }[] {
  return model.inputs.map((input, index) => {
    const shape = [batch, ...input.shape.slice(1).map((dim) => dim ?? 1)];
    const size = shape.reduce((product, dim) => product * dim, 1);
    const data = randomUniform(size, seed + index).map((value) => value * 2 - 1);
    return { data, shape };
  });
}

/** Largest absolute difference between two lists of arrays (lengths must match). */
export function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  if (a.length !== b.length) throw new Error(`output counts differ: ${a.length} vs ${b.length}`);
  let max = 0;
  a.forEach((values, index) => {
    const other = b[index]!;
    if (values.length !== other.length)
      throw new Error(`output ${index}: ${values.length} vs ${other.length} values`);
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]! - other[i]!));
  });
  return max;
}

/** Collects exported models of a test file and checks them all with ONNX's checker in one Python run. */
export class CheckerBatch {
  private readonly dir = mkdtempSync(join(tmpdir(), 'cnnx-export-check-'));
  readonly paths: string[] = [];

  constructor() {
    process.once('exit', () => rmSync(this.dir, { recursive: true, force: true }));
  }

  add(name: string, bytes: Uint8Array): void {
    const path = join(this.dir, `${this.paths.length}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}.onnx`);
    writeFileSync(path, bytes);
    this.paths.push(path);
  }

  /** `null` when Debian's python3-onnx is not installed; else the checker's complaints (empty when all pass). */
  run(): string[] | null {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    } catch {
      return null;
    }
    const script = [
      'import json, sys, onnx',
      'failures = []',
      'for path in json.loads(sys.argv[1]):',
      '    try:',
      '        onnx.checker.check_model(onnx.load(path), full_check=True)',
      '    except Exception as error:',
      '        failures.append(path + ": " + str(error).splitlines()[0])',
      'print(json.dumps(failures))',
    ].join('\n');
    const output = execFileSync('/usr/bin/python3', ['-c', script, JSON.stringify(this.paths)], {
      encoding: 'utf8',
    });
    return JSON.parse(output) as string[];
  }
}

/**
 * Saves a model the way a plain tfjs program does (`model.save` with a custom handler): model.json in
 * tfjs's format plus one weights shard, without any cnnx code.
 */
export async function saveWithPlainTfjs(
  model: tf.LayersModel,
  dir: string,
  shardName = 'group1-shard1of1.bin',
): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        weightsManifest: [{ paths: [`./${shardName}`], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      await writeFile(join(dir, shardName), new Uint8Array(weightData));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** Gives every weight of `model` seeded random values (variances positive), so tests never see trivial weights. */
export function randomizeWeights(model: tf.LayersModel, seed = 3): void {
  let offset = seed;
  for (const layer of model.layers) {
    const weights = layer.weights.map((variable) => {
      const size = (variable.shape as number[]).reduce((product, dim) => product * dim, 1);
      const values = randomUniform(size, offset++);
      const positive = /variance/.test(variable.originalName);
      const data = values.map((value) => (positive ? 0.5 + value : value - 0.5));
      return tf.tensor(data, variable.shape as number[]);
    });
    if (weights.length > 0) layer.setWeights(weights);
    tf.dispose(weights);
  }
}

/**
 * A `classic` model that classifies digits without training: random convolutions and hidden layer as
 * features, and the last Dense layer fitted in closed form (ridge regression onto one-hot labels) on
 * `images`. Predictions are confident like a trained model's, which quantization tests need.
 */
export async function fitClassic(
  images: Float32Array,
  labels: Uint8Array,
  classes = 10,
  ridge = 1e-3,
): Promise<tf.Sequential> {
  const { convertToOnnx } = await import('../src/index.js');
  const model = buildClassic();
  const hiddenLayer = model.layers[model.layers.length - 2]!;
  const features = tf.model({ inputs: model.inputs, outputs: hiddenLayer.output as tf.SymbolicTensor });
  const count = labels.length;
  const [hidden] = await runOnnx(convertToOnnx(features), [{ data: images, shape: [count, 28, 28, 1] }]);
  const width = (hidden as Float32Array).length / count + 1;
  // Normal equations (HᵀH + λI) W = HᵀY with a bias column, solved by Gaussian elimination in float64.
  const system = Array.from({ length: width }, () => new Float64Array(width + classes));
  for (let n = 0; n < count; n++) {
    const row = new Float64Array(width);
    row.set(hidden!.subarray(n * (width - 1), (n + 1) * (width - 1)));
    row[width - 1] = 1;
    for (let i = 0; i < width; i++) {
      const target = system[i]!;
      for (let j = 0; j < width; j++) target[j]! += row[i]! * row[j]!;
      target[width + labels[n]!]! += row[i]!;
    }
  }
  for (let i = 0; i < width; i++) system[i]![i]! += ridge * count;
  for (let pivot = 0; pivot < width; pivot++) {
    const top = system[pivot]!;
    for (let i = pivot + 1; i < width; i++) {
      const row = system[i]!;
      const factor = row[pivot]! / top[pivot]!;
      for (let j = pivot; j < width + classes; j++) row[j]! -= factor * top[j]!;
    }
  }
  const solution = Array.from({ length: width }, () => new Float64Array(classes));
  for (let i = width - 1; i >= 0; i--) {
    for (let c = 0; c < classes; c++) {
      let value = system[i]![width + c]!;
      for (let j = i + 1; j < width; j++) value -= system[i]![j]! * solution[j]![c]!;
      solution[i]![c] = value / system[i]![i]!;
    }
  }
  const sharpen = 10;
  const kernel = new Float32Array((width - 1) * classes);
  for (let i = 0; i < width - 1; i++)
    for (let c = 0; c < classes; c++) kernel[i * classes + c] = sharpen * solution[i]![c]!;
  const bias = Float32Array.from(solution[width - 1]!, (value) => sharpen * value);
  const last = model.layers[model.layers.length - 1]!;
  last.setWeights([tf.tensor(kernel, [width - 1, classes]), tf.tensor(bias, [classes])]);
  return model;
}

/** Fraction of rows of `probabilities` (n × classes) whose arg-max is `labels`' entry, or `other`'s arg-max. */
export function argmaxMatch(
  probabilities: Float32Array,
  reference: Uint8Array | Float32Array,
  classes = 10,
): number {
  const argmax = (values: Float32Array, row: number): number => {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (values[row * classes + c]! > values[row * classes + best]!) best = c;
    return best;
  };
  const count = probabilities.length / classes;
  let matching = 0;
  for (let row = 0; row < count; row++) {
    const expected = reference instanceof Uint8Array ? reference[row]! : argmax(reference, row);
    if (argmax(probabilities, row) === expected) matching++;
  }
  return matching / count;
}
