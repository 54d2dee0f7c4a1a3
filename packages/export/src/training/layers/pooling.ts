import { explicitPads, pair } from '../../converters/common.js';
import type { Ops } from '../ops.js';

/** The geometry of a 2-D pooling call: window, strides, explicit pads and the sizes in and out. */
export interface PoolGeometry {
  kernel: [number, number];
  strides: [number, number];
  /** `[top, left, bottom, right]`, never auto_pad. */
  pads: number[];
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
}

/**
 * Reads a pooling layer's window, strides and pads for its input shape (tfjs's `same`/`valid`).
 *
 * @example
 * poolGeometry({ poolSize: 2, padding: 'valid' }, [null, 28, 28, 32], [null, 14, 14, 32]).pads; // [0, 0, 0, 0]
 */
export function poolGeometry(
  config: Record<string, unknown>,
  inputShape: (number | null)[],
  outputShape: (number | null)[],
): PoolGeometry {
  const kernel = pair(config.poolSize ?? 2, 'poolSize');
  const strides = pair(config.strides ?? config.poolSize ?? 2, 'strides');
  const [, height, width] = inputShape as [null, number, number];
  const [, outHeight, outWidth] = outputShape as [null, number, number];
  const pads = explicitPads([height, width], kernel, strides, [1, 1], String(config.padding ?? 'valid'));
  return { kernel, strides, pads, height, width, outHeight, outWidth };
}

/**
 * Why a pooling layer cannot be trained, or null.
 *
 * @example
 * checkPooling({ poolSize: 2, padding: 'causal' }, [[null, 8, 8, 1]]); // "padding 'causal'"
 */
export function checkPooling(
  config: Record<string, unknown>,
  inputShapes: (number | null)[][],
): string | null {
  const shape = inputShapes[0] ?? [];
  if (shape.length !== 4 || typeof shape[1] !== 'number' || typeof shape[2] !== 'number') {
    return `its input must be [batch, height, width, channels] with known sizes, got [${shape.join(', ')}]`;
  }
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') return `dataFormat ${config.dataFormat}`;
  const padding = config.padding ?? 'valid';
  if (padding !== 'same' && padding !== 'valid') return `padding '${padding}'`;
  return null;
}

/**
 * The ConvTranspose `output_padding` that gives back the input's size from a window op's output.
 *
 * @example
 * outputPadding({ kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], height: 5, width: 5, outHeight: 2, outWidth: 2 }); // [1, 1]
 */
export function outputPadding(geometry: PoolGeometry): number[] {
  const { kernel, strides, pads, height, width, outHeight, outWidth } = geometry;
  return [
    height - (strides[0] * (outHeight - 1) + kernel[0] - pads[0]! - pads[2]!),
    width - (strides[1] * (outWidth - 1) + kernel[1] - pads[1]! - pads[3]!),
  ];
}

/**
 * `[n, n]` with ones strictly below the diagonal: times a 0/1 column it counts, for each entry, the ones
 * before it (so "first maximum" is a GEMM and a Relu).
 *
 * @example
 * earlierOnes(ops, 4); // [[0,0,0,0],[1,0,0,0],[1,1,0,0],[1,1,1,0]]
 */
export function earlierOnes(ops: Ops, size: number): string {
  const values = new Float32Array(size * size);
  for (let row = 0; row < size; row++)
    for (let column = 0; column < row; column++) values[row * size + column] = 1;
  return ops.floats([size, size], values, 'earlier');
}
