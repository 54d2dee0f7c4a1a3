import type { Ops } from '../ops.js';

/** How a window op is laid out: kernel size, strides, explicit pads and dilations. */
export interface WindowGeometry {
  kernel: [number, number];
  strides: [number, number];
  /** `[top, left, bottom, right]`. */
  pads: number[];
  dilations?: [number, number];
}

/**
 * The constant of a Conv that copies each input channel's `kh × kw` window into `kh·kw` output channels
 * (output channel `i·kh·kw + k` holds tap `k` of input channel `i`): im2col as a Conv, so the windows come
 * out of onnxruntime's convolution code. Shape `[channels·kh·kw, 1, kh, kw]`.
 *
 * @example
 * patchKernel(ops, 1, 2, 2); // 4 one-hot 2×2 filters
 */
export function patchKernel(ops: Ops, channels: number, kernelHeight: number, kernelWidth: number): string {
  const taps = kernelHeight * kernelWidth;
  const values = new Float32Array(channels * taps * taps);
  for (let channel = 0; channel < channels; channel++)
    for (let tap = 0; tap < taps; tap++) values[(channel * taps + tap) * taps + tap] = 1;
  return ops.floats([channels * taps, 1, kernelHeight, kernelWidth], values, 'patch_kernel');
}

/**
 * Every channel's windows, `[batch, channels·kh·kw, outHeight, outWidth]` (channel-major, taps row-major).
 * `grouped` writes one grouped Conv (fastest on onnxruntime's CPU provider); otherwise the channels move
 * into the batch (`[batch·channels, 1, h, w]`) for a Conv with a single group, because onnxruntime-web
 * 1.30's WebGPU provider computes a grouped Conv with one input channel per group wrongly.
 *
 * @example
 * const windows = windowsOf(ops, input, 32, { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, true);
 */
export function windowsOf(
  ops: Ops,
  input: string,
  channels: number,
  geometry: WindowGeometry,
  grouped: boolean,
): string {
  const { kernel, strides, pads } = geometry;
  const attributes = { kernel_shape: kernel, pads, strides, dilations: geometry.dilations ?? [1, 1] };
  const taps = kernel[0] * kernel[1];
  if (grouped || channels === 1) {
    return ops.node('Conv', [input, patchKernel(ops, channels, kernel[0], kernel[1])], {
      ...attributes,
      group: channels,
    });
  }
  const single = ops.node(
    'Conv',
    [ops.reshape(input, [-1, 1, 0, 0]), patchKernel(ops, 1, kernel[0], kernel[1])],
    {
      ...attributes,
      group: 1,
    },
  );
  return ops.reshape(single, [-1, channels * taps, 0, 0]);
}

/**
 * The adjoint of {@link windowsOf}: adds each window's values `[batch, channels·kh·kw, outHeight, outWidth]`
 * back to the cells they came from, `[batch, channels, height, width]` (overlaps summed, padding dropped),
 * as a ConvTranspose with a single group per channel moved into the batch. `outputPadding` brings the
 * size back to the input's.
 *
 * @example
 * const dx = addWindowsBack(ops, shares, 32, geometry, [0, 0], 28, 28);
 */
export function addWindowsBack(
  ops: Ops,
  windows: string,
  channels: number,
  geometry: WindowGeometry,
  outputPadding: number[],
  height: number,
  width: number,
): string {
  const { kernel, strides, pads } = geometry;
  const taps = kernel[0] * kernel[1];
  const perChannel = ops.reshape(windows, [-1, taps, 0, 0]);
  const added = ops.node('ConvTranspose', [perChannel, patchKernel(ops, 1, kernel[0], kernel[1])], {
    kernel_shape: kernel,
    pads,
    strides,
    group: 1,
    output_padding: outputPadding,
  });
  return ops.reshape(added, [-1, channels, height, width]);
}
