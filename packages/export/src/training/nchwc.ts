import { EXPORTER_VERSION } from '../convert.js';
import type { AttributeValue, GraphNode } from '../graph/graph-builder.js';
import { GraphBuilder, irVersionForOpset, serializeModel } from '../graph/graph-builder.js';
import { type Ops, perGraph, transposeSource } from './ops.js';

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
  const reordered = blockedOf(ops, input, inChannels);
  const output = ops.node(
    'Conv',
    bias ? [reordered, weights, bias] : [reordered, weights],
    { ...attributes, group: 1 },
    'NchwcConv',
    NCHWC_DOMAIN,
  );
  return reorderOutput(ops, output, outChannels);
}

/**
 * The HWIO `kernel` (`[kh, kw, in, out]`) of a conv whose input has fewer channels than a block, reordered in
 * the graph into the layout onnxruntime's own NCHWc rewrite gives such a conv's constant kernel (output
 * block, input channel, kh, kw, output channel), for {@link blockedConvOfImages}. `outChannels` is a multiple
 * of `block`.
 *
 * @example
 * const weights = imagesKernelInBlocks(ops, kernel, { kernelHeight: 3, kernelWidth: 3, inChannels: 1, outChannels: 32 }, 16);
 */
export function imagesKernelInBlocks(
  ops: Ops,
  kernel: string,
  shape: { kernelHeight: number; kernelWidth: number; inChannels: number; outChannels: number },
  block: number,
): string {
  const { kernelHeight, kernelWidth, inChannels, outChannels } = shape;
  const split = ops.reshape(kernel, [kernelHeight, kernelWidth, inChannels, outChannels / block, block]);
  return ops.reshape(ops.transpose(split, [3, 2, 0, 1, 4]), [
    outChannels,
    inChannels,
    kernelHeight,
    kernelWidth,
  ]);
}

/**
 * A Conv of NCHW `images` with fewer channels than a block on onnxruntime's blocked CPU kernels, which read
 * such an input as it is, with `weights` from {@link imagesKernelInBlocks} and an optional bias: the output
 * is left in blocks.
 *
 * @example
 * blockedConvOfImages(ops, images, weights, { kernel_shape: [3, 3], pads: [1, 1, 0, 0], strides: [2, 2],
 *   dilations: [1, 1], activation: 'Relu' }, bias, 'cell0');
 */
export function blockedConvOfImages(
  ops: Ops,
  images: string,
  weights: string,
  attributes: Record<string, AttributeValue>,
  bias?: string,
  label = 'NchwcConv',
): string {
  return ops.node(
    'Conv',
    bias ? [images, weights, bias] : [images, weights],
    { ...attributes, group: 1 },
    label,
    NCHWC_DOMAIN,
  );
}

/**
 * The blocked Conv (`com.microsoft.nchwc`) that wrote `value`, if one did.
 *
 * @example
 * blockedConvOf(graph, blockedSourceOf(graph, conv.output, 64)!); // the second conv's NchwcConv node
 */
export function blockedConvOf(graph: GraphBuilder, value: string): GraphNode | undefined {
  const writer = graph.producer(value);
  return writer?.opType === 'Conv' && writer.domain === NCHWC_DOMAIN ? writer : undefined;
}

/** Per graph: the ReorderInput that {@link blockedOf} wrote for a value, so that a second reader shares it. */
const blockedCopies = perGraph<string>();

/**
 * NCHW `value` of `channels` channels (a multiple of the block) in onnxruntime's channel blocks: the blocks
 * it was reordered from when a blocked node wrote it, its NHWC source reordered when it is a Transpose of
 * one (a Flatten's gradient), else `value` reordered.
 *
 * @example
 * blockedOf(ops, reorderOutput(ops, blocked, 64), 64); // blocked itself, no node added
 */
export function blockedOf(ops: Ops, value: string, channels: number): string {
  const source = blockedSourceOf(ops.graph, value, channels);
  if (source !== undefined) return source;
  const written = blockedCopies(ops.graph);
  const earlier = written.get(value);
  if (earlier !== undefined) return earlier;
  // NHWC → NCHW (a Flatten's gradient): its NHWC source goes into blocks directly.
  const channelsLast = transposeSource(ops.graph, value, [0, 3, 1, 2]);
  const blocked = ops.node(
    'ReorderInput',
    [channelsLast ?? value],
    channelsLast === undefined ? {} : { channels_last: 1 },
    'ReorderInput',
    NCHWC_DOMAIN,
  );
  written.set(value, blocked);
  return blocked;
}

/** Blocked `value` reordered back into `channels` channels, NCHW (or NHWC with `channelsLast`). */
export function reorderOutput(ops: Ops, value: string, channels: number, channelsLast = false): string {
  const attributes: Record<string, AttributeValue> = channelsLast
    ? { channels, channels_last: 1 }
    : { channels };
  return ops.node('ReorderOutput', [value], attributes, 'ReorderOutput', NCHWC_DOMAIN);
}

/**
 * NCHW `value` in NHWC, when a blocked node wrote it: its blocks reordered to NHWC directly (no Transpose).
 *
 * @example
 * channelsLastOf(ops, reorderOutput(ops, blocked, 64)); // ReorderOutput(blocked, channels_last)
 */
export function channelsLastOf(ops: Ops, value: string): string | undefined {
  const channels = reorderedChannels(ops.graph, value);
  const source = channels === undefined ? undefined : blockedSourceOf(ops.graph, value, channels);
  return source === undefined ? undefined : reorderOutput(ops, source, channels!, true);
}

/**
 * The channel count of NCHW `value` when a ReorderOutput wrote it from onnxruntime's blocks, else undefined:
 * the `channels` to ask {@link blockedSourceOf} for.
 *
 * @example
 * reorderedChannels(graph, reorderOutput(ops, blocked, 64)); // 64
 */
export function reorderedChannels(graph: GraphBuilder, value: string): number | undefined {
  const producer = graph.producer(value);
  if (producer?.opType !== 'ReorderOutput' || producer.domain !== NCHWC_DOMAIN) return undefined;
  const channels = producer.attributes.channels;
  return typeof channels === 'number' ? channels : undefined;
}

/**
 * The blocked value that NCHW `value` of `channels` channels was reordered from (a blocked Conv's output,
 * say), or undefined. With `channels` in whole blocks the blocked value holds exactly those channels, so a
 * blocked reader can take it instead of reordering `value` again.
 *
 * @example
 * blockedSourceOf(graph, nchwcConv(ops, x, kernel, shape, 16, attributes), 64); // the NchwcConv's output
 */
export function blockedSourceOf(graph: GraphBuilder, value: string, channels: number): string | undefined {
  const producer = graph.producer(value);
  if (producer?.opType !== 'ReorderOutput' || producer.domain !== NCHWC_DOMAIN) return undefined;
  const { channels: written, channels_last: channelsLast } = producer.attributes;
  return written === channels && !channelsLast ? producer.inputs[0] : undefined;
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
