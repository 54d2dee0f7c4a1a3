import type { AttributeValue } from '../graph/graph-builder.js';
import { GraphBuilder, irVersionForOpset, serializeModel } from '../graph/graph-builder.js';
import type { Ops } from './ops.js';

/** onnxruntime's operator set of its blocked (NCHWc) CPU kernels. */
const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/**
 * A Conv of the NCHW `input` by an HWIO kernel (`[kh, kw, outChannels, inChannels]` of this conv: the
 * flipped forward kernel, whose input channels are the forward's filters) on onnxruntime's blocked CPU
 * kernels: the input reordered into `block`-channel blocks, the kernel reordered in the graph into the
 * layout onnxruntime's own NCHWc rewrite gives constant kernels (output block, input block, kh, kw, input
 * channel, output channel), and the output reordered back. Both channel counts are multiples of `block`.
 */
export function nchwcConv(
  ops: Ops,
  input: string,
  kernel: string,
  [kernelHeight, kernelWidth, outChannels, inChannels]: [number, number, number, number],
  block: number,
  attributes: Record<string, AttributeValue>,
): string {
  const blocked = ops.reshape(kernel, [
    kernelHeight,
    kernelWidth,
    outChannels / block,
    block,
    inChannels / block,
    block,
  ]);
  const weights = ops.reshape(ops.transpose(blocked, [2, 4, 0, 1, 5, 3]), [
    outChannels,
    inChannels,
    kernelHeight,
    kernelWidth,
  ]);
  const reordered = ops.node('ReorderInput', [input], {}, 'ReorderInput', NCHWC_DOMAIN);
  const output = ops.node(
    'Conv',
    [reordered, weights],
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
    producerVersion: '0.1.0',
    graphName: 'nchwc_probe',
    docString: '',
    metadata: {},
  });
}
