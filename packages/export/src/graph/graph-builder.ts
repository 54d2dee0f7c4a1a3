import { onnx } from './proto.js';

/** An ONNX tensor element type the exporter writes. */
export type ElementType = 'float32' | 'float16' | 'int8' | 'uint8' | 'int32' | 'int64';

/** ONNX's TensorProto.DataType number for each element type. */
export const ELEMENT_TYPE_CODES: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** Raw tensor data by element type; float16 is carried as its 16-bit patterns. */
export type TensorData = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** A constant tensor of the graph (a weight or a shape). */
export interface Initializer {
  name: string;
  type: ElementType;
  dims: number[];
  data: TensorData;
}

/** An attribute value: numbers become INT unless listed as floats by wrapping them with {@link float}. */
export type AttributeValue =
  | number
  | string
  | number[]
  | { float: number }
  | { floats: number[] }
  | { tensor: Initializer };

/** One operator in the graph. */
export interface GraphNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
  domain?: string;
}

/** A graph input or output: a name, an element type and a shape whose strings are symbolic dimensions. */
export interface GraphValue {
  name: string;
  type: ElementType;
  /** Dimensions (strings are symbolic); absent when the shape is not declared. */
  shape?: (number | string)[];
}

/**
 * Wraps a number so it is written as a FLOAT attribute.
 *
 * @example
 * graph.addNode('Elu', [x], { name: 'elu', attributes: { alpha: float(1) } });
 */
export function float(value: number): { float: number } {
  return { float: value };
}

/**
 * Wraps numbers so they are written as a FLOATS attribute.
 *
 * @example
 * graph.addNode('Foo', [x], { name: 'foo', attributes: { values: floats([0.5, 1]) } });
 */
export function floats(values: number[]): { floats: number[] } {
  return { floats: values };
}

/**
 * A pure, order-preserving builder of an ONNX graph: nodes, initializers, inputs and outputs, with unique
 * names. Serialisation is deterministic: the same calls give the same bytes.
 *
 * @example
 * const graph = new GraphBuilder();
 * graph.addInput({ name: 'x', type: 'float32', shape: ['batch', 4] });
 * const y = graph.addNode('Relu', ['x'], { name: 'relu' });
 * graph.addOutput({ name: y, type: 'float32', shape: ['batch', 4] });
 * graph.nodes.length; // 1
 */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  readonly inputs: GraphValue[] = [];
  readonly outputs: GraphValue[] = [];
  private readonly usedNames = new Set<string>();

  /** A name not used yet, derived from `base`. */
  uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'value';
    let name = clean;
    for (let index = 1; this.usedNames.has(name); index++) name = `${clean}_${index}`;
    this.usedNames.add(name);
    return name;
  }

  addInput(value: GraphValue): string {
    this.usedNames.add(value.name);
    this.inputs.push(value);
    return value.name;
  }

  addOutput(value: GraphValue): void {
    this.outputs.push(value);
  }

  /** Adds a constant and returns its (unique) name. */
  addInitializer(base: string, type: ElementType, dims: number[], data: TensorData): string {
    const name = this.uniqueName(base);
    this.initializers.set(name, { name, type, dims: [...dims], data });
    return name;
  }

  /** Adds an int64 1-D constant, as Reshape, Pad, Slice and Resize take. */
  addInt64(base: string, values: number[]): string {
    return this.addInitializer(base, 'int64', [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** Adds a float32 constant. */
  addFloat(base: string, dims: number[], values: Float32Array | number[]): string {
    return this.addInitializer(base, 'float32', dims, Float32Array.from(values));
  }

  /**
   * Adds a node with one output (named from `options.name`) and returns the output's name.
   * Pass `options.outputs` for a node with several outputs.
   */
  addNode(
    opType: string,
    inputs: string[],
    options: { name: string; attributes?: Record<string, AttributeValue>; outputs?: number; domain?: string },
  ): string {
    const names = this.addNodeMulti(opType, inputs, options);
    return names[0]!;
  }

  addNodeMulti(
    opType: string,
    inputs: string[],
    options: { name: string; attributes?: Record<string, AttributeValue>; outputs?: number; domain?: string },
  ): string[] {
    const nodeName = this.uniqueName(options.name);
    const count = options.outputs ?? 1;
    const outputs = Array.from({ length: count }, (_, index) =>
      count === 1 ? this.uniqueName(`${nodeName}:0`) : this.uniqueName(`${nodeName}:${index}`),
    );
    const node: GraphNode = { opType, name: nodeName, inputs, outputs, attributes: options.attributes ?? {} };
    if (options.domain) node.domain = options.domain;
    this.nodes.push(node);
    return outputs;
  }

  /** How many nodes read `name`, and whether it is a graph output. */
  consumers(name: string): GraphNode[] {
    return this.nodes.filter((node) => node.inputs.includes(name));
  }

  /** The node that writes `name`, if any. */
  producer(name: string): GraphNode | undefined {
    return this.nodes.find((node) => node.outputs.includes(name));
  }

  /**
   * Puts `nodes` right before `node` (at the end when it is undefined), so that a rewrite keeps the nodes in
   * topological order.
   */
  insertBefore(node: GraphNode | undefined, ...nodes: GraphNode[]): void {
    this.nodes.splice(node ? this.nodes.indexOf(node) : this.nodes.length, 0, ...nodes);
  }

  /** Puts `nodes` right after `node`. */
  insertAfter(node: GraphNode, ...nodes: GraphNode[]): void {
    this.nodes.splice(this.nodes.indexOf(node) + 1, 0, ...nodes);
  }

  /** Takes `node` out of the graph (its outputs are then written by nothing). */
  removeNode(node: GraphNode): void {
    this.nodes.splice(this.nodes.indexOf(node), 1);
  }

  /**
   * Merges initializers with the same type, dims and bytes (a shared layer called twice, repeated
   * constants), pointing every reader at the first one.
   *
   * @example
   * graph.dedupeInitializers(); // a Conv shared by two branches now stores its kernel once
   */
  dedupeInitializers(): void {
    const kept: Initializer[] = [];
    const renamed = new Map<string, string>();
    for (const initializer of this.initializers.values()) {
      const bytes = new Uint8Array(
        initializer.data.buffer,
        initializer.data.byteOffset,
        initializer.data.byteLength,
      );
      const same = kept.find((other) => {
        if (other.type !== initializer.type || other.dims.join() !== initializer.dims.join()) return false;
        const otherBytes = new Uint8Array(other.data.buffer, other.data.byteOffset, other.data.byteLength);
        if (otherBytes.length !== bytes.length) return false;
        for (let index = 0; index < bytes.length; index++)
          if (otherBytes[index] !== bytes[index]) return false;
        return true;
      });
      if (same) renamed.set(initializer.name, same.name);
      else kept.push(initializer);
    }
    if (renamed.size === 0) return;
    for (const node of this.nodes) node.inputs = node.inputs.map((name) => renamed.get(name) ?? name);
    for (const name of renamed.keys()) this.initializers.delete(name);
  }

  /**
   * Drops the nodes whose outputs nothing reads (no node, no graph output), until none is left: what a
   * rewrite left behind. ONNX operators have no side effects, so the graph computes the same outputs.
   */
  pruneUnreadNodes(): void {
    const graphOutputs = new Set(this.outputs.map((output) => output.name));
    for (;;) {
      const read = new Set(this.nodes.flatMap((node) => node.inputs));
      const kept = this.nodes.filter((node) =>
        node.outputs.some((output) => read.has(output) || graphOutputs.has(output)),
      );
      if (kept.length === this.nodes.length) return;
      this.nodes.splice(0, this.nodes.length, ...kept);
    }
  }

  /** Drops initializers no node reads (after folding or quantization rewrote the graph). */
  pruneInitializers(): void {
    const read = new Set(this.nodes.flatMap((node) => node.inputs));
    for (const name of [...this.initializers.keys()]) if (!read.has(name)) this.initializers.delete(name);
  }
}

/** What {@link serializeModel} writes around the graph. */
export interface ModelHeader {
  opset: number;
  irVersion: number;
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString: string;
  metadata: Record<string, string>;
}

function tensorProto(initializer: Initializer): onnx.TensorProto.$Properties {
  const { data } = initializer;
  return {
    name: initializer.name,
    dims: initializer.dims,
    dataType: ELEMENT_TYPE_CODES[initializer.type],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function attributeProto(name: string, value: AttributeValue): onnx.AttributeProto.$Properties {
  const Type = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: Type.INT, i: value };
  if (typeof value === 'string') return { name, type: Type.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: Type.INTS, ints: value };
  if ('float' in value) return { name, type: Type.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: Type.FLOATS, floats: value.floats };
  return { name, type: Type.TENSOR, t: tensorProto(value.tensor) };
}

function valueInfo(value: GraphValue): onnx.ValueInfoProto.$Properties {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE_CODES[value.type],
        ...(value.shape
          ? {
              shape: {
                dim: value.shape.map((dim) =>
                  typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim },
                ),
              },
            }
          : {}),
      },
    },
  };
}

/**
 * Serialises a graph into ONNX ModelProto bytes; metadata keys are written sorted, so bytes are stable.
 *
 * @example
 * const bytes = serializeModel(graph, { opset: 17, irVersion: 8, producerName: 'cnnx', producerVersion: '0.1.0',
 *   graphName: 'classic', docString: '', metadata: {} });
 */
export function serializeModel(graph: GraphBuilder, header: ModelHeader): Uint8Array {
  const model: onnx.ModelProto.$Properties = {
    irVersion: header.irVersion,
    // onnxruntime's own operator sets (com.microsoft.nchwc, …) have one version, 1
    opsetImport: [
      { domain: '', version: header.opset },
      ...[...new Set(graph.nodes.flatMap((node) => (node.domain ? [node.domain] : [])))]
        .sort()
        .map((domain) => ({ domain, version: 1 })),
    ],
    producerName: header.producerName,
    producerVersion: header.producerVersion,
    docString: header.docString,
    graph: {
      name: header.graphName,
      docString: header.docString,
      node: graph.nodes.map((node) => ({
        name: node.name,
        opType: node.opType,
        input: node.inputs,
        output: node.outputs,
        ...(node.domain ? { domain: node.domain } : {}),
        attribute: Object.keys(node.attributes)
          .sort()
          .map((key) => attributeProto(key, node.attributes[key]!)),
      })),
      initializer: [...graph.initializers.values()].map(tensorProto),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
    metadataProps: Object.keys(header.metadata)
      .sort()
      .map((key) => ({ key, value: header.metadata[key]! })),
  };
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The ONNX IR version that goes with an opset (ONNX's versioning table).
 *
 * @example
 * irVersionForOpset(17); // 8
 */
export function irVersionForOpset(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}
