import { float } from '../graph/graph-builder.js';
import type { ConversionContext, ValueRef } from './types.js';

/**
 * A rank's tfjs axis (possibly negative) as a positive index.
 *
 * @example
 * positiveAxis(-1, 4); // 3
 */
export function positiveAxis(axis: number, rank: number): number {
  const positive = axis < 0 ? axis + rank : axis;
  if (positive < 0 || positive >= rank) throw new RangeError(`axis ${axis} is out of range for rank ${rank}`);
  return positive;
}

/**
 * The ONNX axis of a tfjs axis, through the value's layout.
 *
 * @example
 * onnxAxis({ name: 'x', shape: [null, 28, 28, 8], layout: 'channels-first' }, -1); // 1
 */
export function onnxAxis(ref: ValueRef, tfjsAxis: number): number {
  const rank = ref.shape.length;
  const axis = positiveAxis(tfjsAxis, rank);
  if (ref.layout === 'native' || axis === 0) return axis;
  return axis === rank - 1 ? 1 : axis + 1;
}

/**
 * Reads a numeric pair from a tfjs config (`kernelSize: 3` or `[3, 3]`).
 *
 * @example
 * pair(3, 'kernelSize'); // [3, 3]
 */
export function pair(value: unknown, name: string): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((item) => typeof item === 'number')) {
    return [value[0] as number, value[1] as number];
  }
  throw new TypeError(`expected a number or a pair of numbers for '${name}', got ${JSON.stringify(value)}`);
}

/**
 * A static dimension, or a clear error naming the layer.
 *
 * @example
 * staticDim(context, 28, 'input height'); // 28 (null throws a RangeError naming the layer)
 */
export function staticDim(
  context: ConversionContext,
  value: number | null | undefined,
  what: string,
): number {
  if (typeof value !== 'number') {
    throw new RangeError(`layer '${context.layerName}': ${what} must be known when exporting, got ${value}`);
  }
  return value;
}

/**
 * Explicit ONNX pads `[top, left, bottom, right]` for tfjs `same`/`valid` padding (never `auto_pad`).
 *
 * @example
 * explicitPads([28, 28], [3, 3], [2, 2], [1, 1], 'same'); // [0, 0, 1, 1]
 */
export function explicitPads(
  input: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
  padding: string,
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same')
    throw new RangeError(`padding '${padding}' is not supported; expected same or valid`);
  const before: number[] = [];
  const after: number[] = [];
  for (let axis = 0; axis < 2; axis++) {
    const size = input[axis]!;
    const stride = strides[axis]!;
    const effective = (kernel[axis]! - 1) * dilations[axis]! + 1;
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + effective - size, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

/**
 * Transposes a tfjs HWIO conv kernel into ONNX's OIHW.
 *
 * @example
 * hwioToOihw(kernel, [3, 3, 1, 32]); // Float32Array of 32×1×3×3
 */
export function hwioToOihw(values: Float32Array, shape: number[]): Float32Array {
  const [height, width, inChannels, outChannels] = shape as [number, number, number, number];
  const result = new Float32Array(values.length);
  for (let h = 0; h < height; h++) {
    for (let w = 0; w < width; w++) {
      for (let i = 0; i < inChannels; i++) {
        for (let o = 0; o < outChannels; o++) {
          result[((o * inChannels + i) * height + h) * width + w] =
            values[((h * width + w) * inChannels + i) * outChannels + o]!;
        }
      }
    }
  }
  return result;
}

/**
 * Adds a node that keeps the layout and shape of `ref`.
 *
 * @example
 * unary(context, ref, 'Relu'); // a Relu node; the result keeps ref's layout
 */
export function unary(
  context: ConversionContext,
  ref: ValueRef,
  opType: string,
  attributes: Parameters<ConversionContext['graph']['addNode']>[2]['attributes'] = {},
  extraInputs: string[] = [],
): ValueRef {
  const name = context.graph.addNode(opType, [ref.name, ...extraInputs], {
    name: `${context.layerName}/${opType}`,
    attributes,
  });
  return { ...ref, name, affine: undefined };
}

function scalar(context: ConversionContext, label: string, value: number): string {
  return context.graph.addFloat(`${context.layerName}/${label}`, [], [value]);
}

/** The tfjs activation names the exporter maps, for the error message. */
export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'logSoftmax',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
] as const;

/**
 * Appends the nodes computing tfjs activation `activation` on `ref` (softmax and logSoftmax on the last
 * tfjs axis, mapped through the layout).
 *
 * @example
 * applyActivation(context, ref, 'relu'); // adds one Relu node
 */
export function applyActivation(context: ConversionContext, ref: ValueRef, activation: unknown): ValueRef {
  const name = activation === null || activation === undefined ? 'linear' : String(activation);
  const graph = context.graph;
  const node = (opType: string, inputs: string[], attributes = {}): string =>
    graph.addNode(opType, inputs, { name: `${context.layerName}/${opType}`, attributes });
  const keep = (output: string): ValueRef => ({ ...ref, name: output, affine: undefined });
  switch (name) {
    case 'linear':
      return ref;
    case 'relu':
      return keep(node('Relu', [ref.name]));
    case 'relu6':
      return keep(node('Clip', [ref.name, scalar(context, 'zero', 0), scalar(context, 'six', 6)]));
    case 'elu':
      return keep(node('Elu', [ref.name], { alpha: float(1) }));
    case 'selu':
      return keep(
        node('Selu', [ref.name], { alpha: float(1.6732632423543772), gamma: float(1.0507009873554805) }),
      );
    case 'sigmoid':
      return keep(node('Sigmoid', [ref.name]));
    case 'hardSigmoid':
      return keep(node('HardSigmoid', [ref.name], { alpha: float(0.2), beta: float(0.5) }));
    case 'tanh':
      return keep(node('Tanh', [ref.name]));
    case 'softmax':
      return keep(node('Softmax', [ref.name], { axis: onnxAxis(ref, -1) }));
    case 'logSoftmax':
      return keep(node('LogSoftmax', [ref.name], { axis: onnxAxis(ref, -1) }));
    case 'softplus':
      return keep(node('Softplus', [ref.name]));
    case 'softsign':
      return keep(node('Softsign', [ref.name]));
    case 'swish':
      return keep(node('Mul', [ref.name, node('Sigmoid', [ref.name])]));
    case 'mish':
      return keep(node('Mul', [ref.name, node('Tanh', [node('Softplus', [ref.name])])]));
    case 'gelu': {
      // 0.5 · x · (1 + erf(x / √2))
      const scaled = node('Div', [ref.name, scalar(context, 'sqrt2', Math.SQRT2)]);
      const onePlus = node('Add', [node('Erf', [scaled]), scalar(context, 'one', 1)]);
      return keep(node('Mul', [node('Mul', [ref.name, onePlus]), scalar(context, 'half', 0.5)]));
    }
    case 'gelu_new': {
      // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
      const cube = node('Mul', [node('Mul', [ref.name, ref.name]), ref.name]);
      const inner = node('Add', [ref.name, node('Mul', [cube, scalar(context, 'c', 0.044715)])]);
      const tanh = node('Tanh', [node('Mul', [inner, scalar(context, 'k', Math.sqrt(2 / Math.PI))])]);
      const onePlus = node('Add', [tanh, scalar(context, 'one', 1)]);
      return keep(node('Mul', [node('Mul', [ref.name, onePlus]), scalar(context, 'half', 0.5)]));
    }
    default:
      throw new RangeError(
        `layer '${context.layerName}': activation '${name}' is not supported; expected one of ${ACTIVATIONS.join(', ')}`,
      );
  }
}
