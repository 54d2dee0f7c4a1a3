import type { AttributeValue, GraphBuilder } from '../graph/graph-builder.js';

/** ONNX TensorProto.DataType codes for Cast's `to`. */
export const DATA_TYPE = { float32: 1, int32: 6, uint32: 12, bool: 9 } as const;

/**
 * The value that `name` is a Transpose of by `perm`, if `name` is one (so that transposing it back is that
 * value itself).
 *
 * @example
 * transposeSource(graph, ops.transpose(x, [0, 3, 1, 2]), [0, 3, 1, 2]); // x
 */
export function transposeSource(graph: GraphBuilder, name: string, perm: number[]): string | undefined {
  const producer = graph.producer(name);
  if (producer?.opType !== 'Transpose' || producer.domain !== undefined) return undefined;
  const attribute = producer.attributes.perm;
  return Array.isArray(attribute) && attribute.join() === perm.join() ? producer.inputs[0] : undefined;
}

/**
 * A map of facts about a graph's values, by name, one per graph and made on first use: what one layer's
 * rewrite leaves for a later one to read (a pool's gradient by cell, a value's blocked copy).
 *
 * @example
 * const sums = perGraph<string>();
 * sums(graph).set(gradient, perChannel); // later: sums(graph).get(gradient)
 */
export function perGraph<V>(): (graph: GraphBuilder) => Map<string, V> {
  const maps = new WeakMap<GraphBuilder, Map<string, V>>();
  return (graph) => {
    let map = maps.get(graph);
    if (map === undefined) {
      map = new Map();
      maps.set(graph, map);
    }
    return map;
  };
}

/**
 * Node-writing shorthands over a {@link GraphBuilder}, naming every node `<prefix>/<label>`. The training
 * graph is built from many small expressions; this keeps each one on a line.
 *
 * @example
 * const ops = new Ops(graph, 'dense_1');
 * const y = ops.node('Gemm', [x, kernel, bias]); // a node named 'dense_1/Gemm'
 */
export class Ops {
  constructor(
    readonly graph: GraphBuilder,
    readonly prefix: string,
  ) {}

  /** The same graph under another name prefix. */
  scope(prefix: string): Ops {
    return new Ops(this.graph, prefix);
  }

  /** Adds a node with one output and returns the output's name; `domain` for an operator outside ONNX's own set. */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    label: string = opType,
    domain?: string,
  ): string {
    return this.graph.addNode(opType, inputs, {
      name: `${this.prefix}/${label}`,
      attributes,
      ...(domain ? { domain } : {}),
    });
  }

  /** Adds a node with `count` outputs. */
  nodeMulti(
    opType: string,
    inputs: string[],
    count: number,
    attributes: Record<string, AttributeValue> = {},
  ): string[] {
    return this.graph.addNodeMulti(opType, inputs, {
      name: `${this.prefix}/${opType}`,
      attributes,
      outputs: count,
    });
  }

  /** A float32 scalar constant. */
  scalar(value: number, label = 'const'): string {
    return this.graph.addFloat(`${this.prefix}/${label}`, [], [value]);
  }

  /** A float32 constant of any shape. */
  floats(dims: number[], values: Float32Array | number[], label = 'const'): string {
    return this.graph.addFloat(`${this.prefix}/${label}`, dims, values);
  }

  /** An int32 constant of any shape. */
  int32s(dims: number[], values: Int32Array | number[], label = 'const'): string {
    return this.graph.addInitializer(`${this.prefix}/${label}`, 'int32', dims, Int32Array.from(values));
  }

  /** An int64 vector constant (shapes, axes, pads: what ONNX takes as int64). */
  int64s(values: number[], label = 'shape'): string {
    return this.graph.addInt64(`${this.prefix}/${label}`, values);
  }

  add(a: string, b: string): string {
    return this.node('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.node('Sub', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.node('Mul', [a, b]);
  }

  div(a: string, b: string): string {
    return this.node('Div', [a, b]);
  }

  /** Sums several values; one value is returned as it is. */
  sum(values: string[]): string {
    if (values.length === 1) return values[0]!;
    return this.node('Sum', values);
  }

  /** The int32 indices `0, 1, …, batch − 1` of `like`'s first axis (its batch), computed from its shape. */
  batchIndices(like: string): string {
    const batch = this.cast(this.node('Shape', [like], { start: 0, end: 1 }), 'int32');
    return this.node('Range', [
      this.int32s([], [0], 'zero'),
      this.node('Squeeze', [batch, this.int64s([0], 'axes')]),
      this.int32s([], [1], 'one'),
    ]);
  }

  cast(value: string, to: keyof typeof DATA_TYPE): string {
    return this.node('Cast', [value], { to: DATA_TYPE[to] });
  }

  transpose(value: string, perm: number[]): string {
    return this.node('Transpose', [value], { perm });
  }

  reshape(value: string, shape: number[]): string {
    return this.node('Reshape', [value, this.int64s(shape)]);
  }

  /** ReduceSum over `axes` (opset 13+: axes as an input). */
  reduceSum(value: string, axes: number[], keepdims = false): string {
    return this.node('ReduceSum', [value, this.int64s(axes, 'axes')], { keepdims: keepdims ? 1 : 0 });
  }

  /** ReduceMean over `axes` (an attribute up to opset 17). */
  reduceMean(value: string, axes: number[], keepdims = false): string {
    return this.node('ReduceMean', [value], { axes, keepdims: keepdims ? 1 : 0 });
  }

  /** ReduceMax over `axes` (an attribute up to opset 17). */
  reduceMax(value: string, axes: number[], keepdims = false): string {
    return this.node('ReduceMax', [value], { axes, keepdims: keepdims ? 1 : 0 });
  }
}
