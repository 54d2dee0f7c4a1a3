import { EXPORTER_VERSION } from '../convert.js';
import type { AttributeValue } from '../graph/graph-builder.js';
import { GraphBuilder, irVersionForOpset, serializeModel } from '../graph/graph-builder.js';
import type { Ops } from './ops.js';

/** onnxruntime's operator set of its blocked (NCHWc) CPU kernels. */
const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/** How a kernel's four axes are ordered: tfjs's HWIO, or HWOI (a flipped kernel used for the input gradient). */
export type KernelAxes = 'HWIO' | 'HWOI';

/**
 * A Conv of the NCHW `input` on onnxruntime's blocked CPU kernels: the input reordered into `block`-channel
 * blocks, the kernel (`[kh, kw, in, out]` for HWIO, `[kh, kw, out, in]` for HWOI, counted for this conv)
 * reordered in the graph into the layout onnxruntime's own NCHWc rewrite gives constant kernels (output
 * block, input block, kh, kw, input channel, output channel), an optional bias, and the output reordered
 * back. Both channel counts are multiples of `block`.
 *
 * @example
 * nchwcConv(ops, x, kernel, { axes: 'HWIO', kernelHeight: 3, kernelWidth: 3, inChannels: 32, outChannels: 64 }, 16,
 *   { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1] }, bias);
 */
export function nchwcConv(
  ops: Ops,
  input: string,
  kernel: string,
  shape: {
    axes: KernelAxes;
    kernelHeight: number;
    kernelWidth: number;
    inChannels: number;
    outChannels: number;
  },
  block: number,
  attributes: Record<string, AttributeValue>,
  bias?: string,
): string {
  const { kernelHeight, kernelWidth, inChannels, outChannels } = shape;
  const inBlocks = [inChannels / block, block];
  const outBlocks = [outChannels / block, block];
  // Axes 2-5 are (first channel axis: blocks, within), (second: blocks, within).
  const blocked = ops.reshape(kernel, [
    kernelHeight,
    kernelWidth,
    ...(shape.axes === 'HWIO' ? [...inBlocks, ...outBlocks] : [...outBlocks, ...inBlocks]),
  ]);
  const order = shape.axes === 'HWIO' ? [4, 2, 0, 1, 3, 5] : [2, 4, 0, 1, 5, 3];
  const weights = ops.reshape(ops.transpose(blocked, order), [
    outChannels,
    inChannels,
    kernelHeight,
    kernelWidth,
  ]);
  const reordered = ops.node('ReorderInput', [input], {}, 'ReorderInput', NCHWC_DOMAIN);
  const output = ops.node(
    'Conv',
    bias ? [reordered, weights, bias] : [reordered, weights],
    { ...attributes, group: 1 },
    'NchwcConv',
    NCHWC_DOMAIN,
  );
  return ops.node('ReorderOutput', [output], { channels: outChannels }, 'ReorderOutput', NCHWC_DOMAIN);
}

/**
 * The ONNX bytes of a one-node model whose output tells onnxruntime's CPU provider's NCHWc block: it
 * reorders a `[1, 4, 1, 1]` input into blocks, so the output has `block` channels (8 with AVX2, 16 with
 * AVX-512). `@cnnx/runtime` runs it once to choose `TrainingSettings.nchwcBlockSize`.
 *
 * @example
 * const out = await (await ort.InferenceSession.create(nchwcProbeModel())).run({ x }); // out.y.dims[1] === 16
 */
export function nchwcProbeModel(): Uint8Array {
  const graph = new GraphBuilder();
  graph.addInput({ name: 'x', type: 'float32', shape: [1, 4, 1, 1] });
  const output = graph.addNode('ReorderInput', ['x'], { name: 'reorder', domain: NCHWC_DOMAIN });
  graph.addOutput({ name: output, type: 'float32', shape: [1, 'block', 1, 1] });
  return serializeModel(graph, {
    opset: 17,
    irVersion: irVersionForOpset(17),
    producerName: 'cnnx',
    producerVersion: EXPORTER_VERSION,
    graphName: 'nchwc_probe',
    docString: '',
    metadata: {},
  });
}
