import type { GraphBuilder } from '../graph/graph-builder.js';

/**
 * A tensor of the tfjs model as it exists in the ONNX graph.
 * `shape` is the tfjs shape (batch first, channels last, `null` for unknown).
 * `layout` says how the ONNX tensor is ordered: `native` (as tfjs) or `channels-first` (a rank ≥ 3 tfjs
 * tensor `[N, ...spatial, C]` held as `[N, C, ...spatial]`). `flattenedFrom` marks a 2-D tensor made by
 * flattening a channels-first tensor: its features are in `C, ...spatial` order, not tfjs's.
 */
export interface ValueRef {
  name: string;
  shape: (number | null)[];
  layout: 'native' | 'channels-first';
  flattenedFrom?: number[];
  /** Set when the value is the output of a linear Conv/Dense whose weights a following layer may fold into. */
  affine?: { kernel: string; bias: string; outputAxis: number; layer: string };
}

/** One tfjs weight of a layer: its shape and values. */
export interface LayerWeight {
  shape: number[];
  values: Float32Array;
}

/** What a converter receives for one call of a layer. */
export interface ConversionContext {
  readonly graph: GraphBuilder;
  readonly opset: number;
  /** The tfjs layer's class name and config (from `layer.getConfig()`). */
  readonly className: string;
  readonly layerName: string;
  readonly config: Record<string, unknown>;
  readonly inputs: ValueRef[];
  /** The tfjs output shapes of this call. */
  readonly outputShapes: (number | null)[][];
  /** The layer's weights by short name (`kernel`, `bias`, `gamma`, `moving_mean`, ...). */
  weight(name: string): LayerWeight | undefined;
  /** Returns `ref` in tfjs's element order, inserting a Transpose (or a Reshape-Transpose-Reshape) if needed. */
  toNative(ref: ValueRef): ValueRef;
  /** Returns a rank ≥ 3 `ref` channels-first, inserting a Transpose if needed. */
  toChannelsFirst(ref: ValueRef): ValueRef;
  /** Whether the tfjs output of this call is read by exactly one other layer call and is not a model output. */
  readonly outputHasSingleConsumer: boolean;
  /** For each input: whether this call is its only reader and it is not a model output (so it may be folded). */
  readonly inputsFoldable: boolean[];
}

/** Converts one call of a tfjs layer into ONNX nodes; returns one ref per tfjs output. */
export type LayerConverter = (context: ConversionContext) => ValueRef | ValueRef[];

/** One registry entry: a tfjs layer class and its converter (one per file, like tfjs's KernelConfig). */
export interface ConverterConfig {
  className: string;
  convert: LayerConverter;
}
