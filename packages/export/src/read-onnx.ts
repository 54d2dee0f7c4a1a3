import { OnnxDecodeError } from './errors.js';
import { onnx } from './graph/proto.js';
import type { OnnxModelInfo, OnnxValueInfo } from './types.js';

const TYPE_NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

function valueInfo(value: onnx.ValueInfoProto.$Properties): OnnxValueInfo {
  const tensor = value.type?.tensorType;
  return {
    name: value.name ?? '',
    type: TYPE_NAMES[tensor?.elemType ?? 0] ?? `type ${tensor?.elemType}`,
    shape: (tensor?.shape?.dim ?? []).map((dim) => (dim.dimParam ? dim.dimParam : toNumber(dim.dimValue))),
  };
}

/**
 * Reads an ONNX file's description: inputs, outputs, opset, metadata and the operator histogram. Bytes that
 * are not an ONNX model throw {@link OnnxDecodeError}.
 *
 * @example
 * const info = readOnnx(await readFile('model.onnx'));
 * info.inputs; // [{ name: 'input', type: 'float32', shape: ['batch', 28, 28, 1] }]
 * info.operators; // { Conv: 2, Gemm: 2, MaxPool: 2, ... }
 */
export function readOnnx(bytes: Uint8Array): OnnxModelInfo {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("'bytes' must be a Uint8Array");
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new OnnxDecodeError((error as Error).message.split('\n')[0] ?? String(error), { cause: error });
  }
  if (!model.graph) throw new OnnxDecodeError('no graph');
  const graph = model.graph;
  const operators: Record<string, number> = {};
  for (const node of graph.node ?? []) operators[node.opType ?? ''] = (operators[node.opType ?? ''] ?? 0) + 1;
  const sortedOperators = Object.fromEntries(
    Object.entries(operators).sort(([a], [b]) => a.localeCompare(b)),
  );
  const initializerNames = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  const initializerTypes: Record<string, number> = {};
  let parameterCount = 0;
  for (const tensor of graph.initializer ?? []) {
    const type = TYPE_NAMES[tensor.dataType ?? 0] ?? String(tensor.dataType);
    initializerTypes[type] = (initializerTypes[type] ?? 0) + 1;
    parameterCount += (tensor.dims ?? []).reduce<number>((product, dim) => product * toNumber(dim), 1);
  }
  const defaultOpset = (model.opsetImport ?? []).find((entry) => !entry.domain);
  return {
    irVersion: toNumber(model.irVersion),
    opset: toNumber(defaultOpset?.version),
    producerName: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    graphName: graph.name ?? '',
    docString: model.docString ?? '',
    inputs: (graph.input ?? []).filter((input) => !initializerNames.has(input.name ?? '')).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
    metadata: Object.fromEntries(
      (model.metadataProps ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']),
    ),
    operators: sortedOperators,
    nodeCount: (graph.node ?? []).length,
    initializerCount: (graph.initializer ?? []).length,
    parameterCount,
    initializerTypes,
  };
}
