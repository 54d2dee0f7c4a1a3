// Node only: runs the exported ONNX with onnxruntime-node and compares it with tfjs's predict.
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { VerificationError } from './errors.js';
import { nhwcToNchw, randomUniform } from './random.js';
import { readOnnx } from './read-onnx.js';

/** What {@link verifyOnnx} measured. */
export interface VerificationResult {
  /** Largest absolute difference between ONNX and tfjs over every output value. */
  maxAbsDiff: number;
  /** Fraction of samples whose arg-max class agrees (first output). */
  agreement: number;
  /** Number of samples compared. */
  samples: number;
}

/** Verification inputs: one Float32Array per model input, NHWC as tfjs takes them, `count` samples each. */
export interface VerificationInputs {
  values: Float32Array[];
  count: number;
  /**
   * tfjs's outputs for these inputs, one Float32Array per model output, when the caller already has them
   * (the quickstart's evaluation): compared as they are, not predicted again.
   */
  expected?: Float32Array[];
}

function sampleSize(shape: (number | null)[]): number {
  return shape.slice(1).reduce<number>((product, dim) => product * (dim ?? 1), 1);
}

/**
 * Throws a RangeError unless `arrays` holds one array per tensor of `tensors`, each `count` samples of that
 * tensor's size: `field` names the list and `item` its entries in the message.
 */
function checkSamples(
  arrays: Float32Array[],
  tensors: { shape: (number | null)[] }[],
  count: number,
  field: string,
  item: string,
  role: 'input' | 'output',
): void {
  if (arrays.length !== tensors.length) {
    throw new RangeError(`${field} must hold ${tensors.length} arrays, one per model ${role}`);
  }
  tensors.forEach((tensor, index) => {
    if (arrays[index]!.length !== count * sampleSize(tensor.shape)) {
      throw new RangeError(`'${item}[${index}]' must hold ${count} × ${sampleSize(tensor.shape)} floats`);
    }
  });
}

/** Samples compared per onnxruntime run and tfjs `predict` call, so a large set never needs one huge batch. */
const CHUNK = 256;

/**
 * Runs `onnxBytes` with onnxruntime-node and `model.predict` on the same inputs (random uniform [0, 1)
 * samples unless `inputs` is given; tfjs's outputs are `inputs.expected` when given), 256 samples at a
 * time, and compares every output. An output that is NaN or infinite on either side throws a
 * {@link VerificationError} naming it: there is nothing to compare.
 *
 * @example
 * const result = await verifyOnnx(bytes, model);
 * // { maxAbsDiff: 2.4e-7, agreement: 1, samples: 16 }
 */
export async function verifyOnnx(
  onnxBytes: Uint8Array,
  model: tf.LayersModel,
  inputs?: VerificationInputs,
  options: { session?: ort.InferenceSession.SessionOptions } = {},
): Promise<VerificationResult> {
  const info = readOnnx(onnxBytes);
  const count = inputs?.count ?? 16;
  const values =
    inputs?.values ??
    model.inputs.map((input, index) => randomUniform(count * sampleSize(input.shape), 1 + index));
  checkSamples(values, model.inputs, count, "'inputs'", 'inputs.values', 'input');
  const given = inputs?.expected;
  if (given !== undefined)
    checkSamples(given, model.outputs, count, "'inputs.expected'", 'inputs.expected', 'output');
  const layout = info.metadata['cnnx.input_layout'] ?? 'nhwc';
  const session = await ort.InferenceSession.create(onnxBytes, options.session ?? {});
  let maxAbsDiff = 0;
  let agreeing = 0;
  let nonFinite: string | undefined;
  try {
    for (let start = 0; start < count; start += CHUNK) {
      const chunk = Math.min(CHUNK, count - start);
      const feeds: Record<string, ort.Tensor> = {};
      const chunkInputs = model.inputs.map((input, index) => {
        const tail = input.shape.slice(1).map((dim) => dim ?? 1);
        const size = sampleSize(input.shape);
        const data = values[index]!.subarray(start * size, (start + chunk) * size);
        const shape = [chunk, ...tail];
        const onnxInput = info.inputs[index]!;
        feeds[onnxInput.name] =
          layout === 'nchw' && shape.length === 4
            ? new ort.Tensor('float32', nhwcToNchw(data, shape), [chunk, shape[3]!, shape[1]!, shape[2]!])
            : new ort.Tensor('float32', data, shape);
        return { data, shape };
      });
      const results = await session.run(feeds);
      const predicted =
        given?.map((outputs, index) => {
          const size = sampleSize(model.outputs[index]!.shape);
          return outputs.subarray(start * size, (start + chunk) * size);
        }) ??
        tf.tidy(() => {
          const tensors = chunkInputs.map(({ data, shape }) => tf.tensor(data, shape));
          const output = model.predict(tensors.length === 1 ? tensors[0]! : tensors);
          return (Array.isArray(output) ? output : [output]).map(
            (tensor) => tensor.dataSync() as Float32Array,
          );
        });
      info.outputs.forEach((output, index) => {
        const onnxValues = results[output.name]!.data as Float32Array;
        const expected = predicted[index]!;
        if (onnxValues.length !== expected.length) {
          throw new VerificationError(
            `output '${output.name}' has ${onnxValues.length} values in ONNX but ${expected.length} in tfjs`,
            Number.POSITIVE_INFINITY,
            0,
          );
        }
        for (let i = 0; i < expected.length; i++) {
          const diff = Math.abs(onnxValues[i]! - expected[i]!);
          if (!(diff <= maxAbsDiff)) maxAbsDiff = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
          if (!Number.isFinite(onnxValues[i]!) || !Number.isFinite(expected[i]!)) {
            nonFinite ??= `${Number.isFinite(onnxValues[i]!) ? 'tfjs' : 'ONNX'} output '${output.name}' is ${Number.isFinite(onnxValues[i]!) ? expected[i] : onnxValues[i]} at value ${start * (expected.length / chunk) + i}`;
          }
        }
      });
      const onnxFirst = results[info.outputs[0]!.name]!.data as Float32Array;
      const classes = onnxFirst.length / chunk;
      for (let sample = 0; sample < chunk; sample++) {
        const a = argmax(onnxFirst, sample * classes, classes);
        const b = argmax(predicted[0]!, sample * classes, classes);
        if (a === b) agreeing++;
      }
    }
    if (nonFinite !== undefined) {
      // NaN matches nothing: reporting 100% agreement on NaN outputs would be a lie
      throw new VerificationError(
        `${nonFinite} for finite inputs: the model cannot give numbers (do its weights hold NaN?)`,
        Number.POSITIVE_INFINITY,
        0,
      );
    }
    return { maxAbsDiff, agreement: agreeing / count, samples: count };
  } finally {
    await session.release();
  }
}

function argmax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let index = 1; index < length; index++)
    if (values[offset + index]! > values[offset + best]!) best = index;
  return best;
}

/**
 * Throws {@link VerificationError} when a verification exceeds the tolerance.
 *
 * @example
 * assertVerified(await verifyOnnx(bytes, model), { maxAbsDiff: 1e-4 }); // throws beyond 1e-4
 */
export function assertVerified(
  result: VerificationResult,
  tolerance: { maxAbsDiff?: number; agreement?: number } = {},
): void {
  const maxAbsDiff = tolerance.maxAbsDiff ?? 1e-4;
  const agreement = tolerance.agreement ?? 1;
  if (!(result.maxAbsDiff <= maxAbsDiff)) {
    throw new VerificationError(
      `ONNX output differs from tfjs by ${result.maxAbsDiff.toExponential(2)} (tolerance ${maxAbsDiff})`,
      result.maxAbsDiff,
      maxAbsDiff,
    );
  }
  if (result.agreement < agreement) {
    throw new VerificationError(
      `ONNX and tfjs agree on ${(result.agreement * 100).toFixed(2)}% of classes (required ${(agreement * 100).toFixed(2)}%)`,
      result.maxAbsDiff,
      maxAbsDiff,
    );
  }
}

/**
 * Checks an export against its tfjs model as `cnnx export` does, and throws {@link VerificationError} past the
 * tolerance of its kind: on random inputs, within 1e-4 (fp32) or 1e-2 with 90% class agreement (fp16 without
 * images); on dataset `images` when given, within 1e-4 (fp32) or 99% class agreement (quantized). Each result
 * is handed to `onResult` before it is judged.
 *
 * @example
 * const results = await verifyExport(bytes, model, { quantize: 'int8', images }, (what, result) => console.log(what, result));
 * // results → { random: { maxAbsDiff: 0.03, … }, images: { agreement: 0.998, … } }
 */
export async function verifyExport(
  bytes: Uint8Array,
  model: tf.LayersModel,
  options: { quantize?: 'fp16' | 'int8' | undefined; images?: VerificationInputs | undefined },
  onResult: (what: 'random inputs' | 'dataset images', result: VerificationResult) => void = () => {},
): Promise<{ random: VerificationResult; images?: VerificationResult }> {
  const { quantize, images } = options;
  const random = await verifyOnnx(bytes, model);
  onResult('random inputs', random);
  if (!quantize) assertVerified(random, { maxAbsDiff: 1e-4 });
  if (!images) {
    if (quantize === 'fp16') assertVerified(random, { maxAbsDiff: 1e-2, agreement: 0.9 });
    return { random };
  }
  const onImages = await verifyOnnx(bytes, model, images);
  onResult('dataset images', onImages);
  if (quantize) assertVerified(onImages, { maxAbsDiff: Number.POSITIVE_INFINITY, agreement: 0.99 });
  else assertVerified(onImages, { maxAbsDiff: 1e-4 });
  return { random, images: onImages };
}
