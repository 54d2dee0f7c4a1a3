/**
 * Reads what the runtime needs from an ONNX file's protobuf bytes (opset, metadata_props, graph inputs and
 * outputs) without decoding the weights. onnxruntime exposes neither metadata_props nor the opset, and
 * the dozen fields read here do not justify shipping a protobuf library to the browser.
 */
import type { ValueInfo } from '../types.js';

/** What the runtime reads from a ModelProto. */
export interface OnnxModelSummary {
  irVersion: number;
  opset: number;
  producer: string;
  metadata: Record<string, string>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Names of the graph's initializers (older IR versions list them among the inputs too). */
  initializers: Set<string>;
}

/**
 * A malformed or truncated protobuf message, or weights that hold NaN; the caller turns it into an
 * OnnxFormatError.
 */
export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

// TensorProto.DataType → onnxruntime's tensor type names.
const elementTypes: Record<number, string> = {
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

const decoder = new TextDecoder('utf-8', { fatal: false });

/** A cursor over protobuf wire-format bytes. */
class WireReader {
  position: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.position = start;
  }

  get done(): boolean {
    return this.position >= this.end;
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.position >= this.end) throw new ProtobufError(`truncated varint at byte ${this.position}`);
      const byte = this.bytes[this.position++] as number;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new ProtobufError(`varint longer than 10 bytes at byte ${this.position}`);
  }

  /** A signed int64 varint (negative values arrive as 2^64 + v). */
  int64(): number {
    const value = this.varint();
    return value >= 2 ** 63 ? value - 2 ** 64 : value;
  }

  /** The next field's number and wire type. */
  key(): { field: number; wireType: number } {
    const at = this.position;
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0 || wireType > 5 || wireType === 3 || wireType === 4) {
      throw new ProtobufError(`invalid field key ${key} at byte ${at}`);
    }
    return { field, wireType };
  }

  /** The span of a length-delimited field. */
  span(): { start: number; end: number } {
    const length = this.varint();
    const start = this.position;
    const end = start + length;
    if (end > this.end) {
      throw new ProtobufError(
        `a field at byte ${start} claims ${length} bytes but only ${this.end - start} remain`,
      );
    }
    this.position = end;
    return { start, end };
  }

  sub(): WireReader {
    const { start, end } = this.span();
    return new WireReader(this.bytes, start, end);
  }

  string(): string {
    const { start, end } = this.span();
    return decoder.decode(this.bytes.subarray(start, end));
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 5) this.advance(4);
    else if (wireType === 2) this.span();
    else throw new ProtobufError(`unsupported wire type ${wireType} at byte ${this.position}`);
  }

  private advance(count: number): void {
    if (this.position + count > this.end) throw new ProtobufError(`truncated field at byte ${this.position}`);
    this.position += count;
  }
}

function readValueInfo(reader: WireReader): ValueInfo {
  const info: ValueInfo = { name: '', type: 'unknown', shape: [] };
  while (!reader.done) {
    const { field, wireType } = reader.key();
    if (field === 1 && wireType === 2) info.name = reader.string();
    else if (field === 2 && wireType === 2) readType(reader.sub(), info);
    else reader.skip(wireType);
  }
  return info;
}

function readType(reader: WireReader, info: ValueInfo): void {
  while (!reader.done) {
    const { field, wireType } = reader.key();
    if (field !== 1 || wireType !== 2) {
      reader.skip(wireType);
      continue;
    }
    const tensorType = reader.sub();
    while (!tensorType.done) {
      const inner = tensorType.key();
      if (inner.field === 1 && inner.wireType === 0)
        info.type = elementTypes[tensorType.varint()] ?? 'unknown';
      else if (inner.field === 2 && inner.wireType === 2) info.shape = readShape(tensorType.sub());
      else tensorType.skip(inner.wireType);
    }
  }
}

function readShape(reader: WireReader): (number | string)[] {
  const shape: (number | string)[] = [];
  while (!reader.done) {
    const { field, wireType } = reader.key();
    if (field !== 1 || wireType !== 2) {
      reader.skip(wireType);
      continue;
    }
    const dimension = reader.sub();
    let value: number | string = '?';
    while (!dimension.done) {
      const inner = dimension.key();
      if (inner.field === 1 && inner.wireType === 0) value = dimension.int64();
      else if (inner.field === 2 && inner.wireType === 2) value = dimension.string();
      else dimension.skip(inner.wireType);
    }
    shape.push(value);
  }
  return shape;
}

/**
 * An initializer's name, and whether its floats hold a NaN (weights no model can run with; infinities are
 * left alone, since masks and clip bounds may use them on purpose). Reads raw_data (9), float_data (4) and
 * double_data (10) of FLOAT, FLOAT16 and DOUBLE tensors in place, without copying them.
 */
function readInitializer(tensor: WireReader, summary: OnnxModelSummary): void {
  let name = '';
  let dataType = 0;
  const spans: { field: number; start: number; end: number }[] = [];
  while (!tensor.done) {
    const { field, wireType } = tensor.key();
    if (field === 8 && wireType === 2) name = tensor.string();
    else if (field === 2 && wireType === 0) dataType = tensor.varint();
    else if ((field === 9 || field === 4 || field === 10) && wireType === 2)
      spans.push({ field, ...tensor.span() });
    else tensor.skip(wireType);
  }
  summary.initializers.add(name);
  for (const { field, start, end } of spans) {
    if (field === 9 && dataType !== 1 && dataType !== 10 && dataType !== 11) continue;
    // float_data holds FLOAT and FLOAT16 alike as 32-bit floats; raw_data's width follows data_type
    const width =
      field === 10 || (field === 9 && dataType === 11) ? 8 : field === 9 && dataType === 10 ? 2 : 4;
    const index = firstNaN(tensor.bytes, start, end, width);
    if (index !== -1) {
      throw new ProtobufError(
        `initializer '${name}' holds NaN at index ${index}: its weights are not numbers (did training diverge?)`,
      );
    }
  }
}

/** The index of the first NaN among the little-endian floats of `width` bytes in `bytes[start, end)`, or -1. */
function firstNaN(bytes: Uint8Array, start: number, end: number, width: 2 | 4 | 8): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, end - start);
  const count = Math.floor((end - start) / width);
  for (let index = 0; index < count; index++) {
    if (width === 4) {
      if (Number.isNaN(view.getFloat32(index * 4, true))) return index;
    } else if (width === 8) {
      if (Number.isNaN(view.getFloat64(index * 8, true))) return index;
    } else if ((view.getUint16(index * 2, true) & 0x7fff) > 0x7c00) {
      return index; // float16: every exponent bit set and a mantissa that is not zero
    }
  }
  return -1;
}

function readGraph(reader: WireReader, summary: OnnxModelSummary): void {
  while (!reader.done) {
    const { field, wireType } = reader.key();
    if (field === 11 && wireType === 2) summary.inputs.push(readValueInfo(reader.sub()));
    else if (field === 12 && wireType === 2) summary.outputs.push(readValueInfo(reader.sub()));
    else if (field === 5 && wireType === 2) readInitializer(reader.sub(), summary);
    else reader.skip(wireType);
  }
}

/**
 * Reads the summary of an ONNX ModelProto. Throws {@link ProtobufError} on bytes that are not a
 * well-formed protobuf message, that lack an ONNX graph, or whose float initializers hold a NaN.
 *
 * @example
 * const summary = readOnnxSummary(bytes);
 * // → { irVersion: 8, opset: 17, metadata: { 'cnnx.input_layout': 'nhwc', … }, inputs: [{ name: 'image', … }], … }
 */
export function readOnnxSummary(bytes: Uint8Array): OnnxModelSummary {
  const summary: OnnxModelSummary = {
    irVersion: 0,
    opset: 0,
    producer: '',
    metadata: {},
    inputs: [],
    outputs: [],
    initializers: new Set(),
  };
  if (bytes.length === 0) throw new ProtobufError('the file is empty');
  let hasGraph = false;
  const reader = new WireReader(bytes);
  while (!reader.done) {
    const { field, wireType } = reader.key();
    if (field === 1 && wireType === 0) summary.irVersion = reader.varint();
    else if (field === 2 && wireType === 2) summary.producer = reader.string();
    else if (field === 7 && wireType === 2) {
      hasGraph = true;
      readGraph(reader.sub(), summary);
    } else if (field === 8 && wireType === 2) {
      const opset = reader.sub();
      let domain = '';
      let version = 0;
      while (!opset.done) {
        const inner = opset.key();
        if (inner.field === 1 && inner.wireType === 2) domain = opset.string();
        else if (inner.field === 2 && inner.wireType === 0) version = opset.int64();
        else opset.skip(inner.wireType);
      }
      if (domain === '' || domain === 'ai.onnx') summary.opset = version;
    } else if (field === 14 && wireType === 2) {
      const entry = reader.sub();
      let key = '';
      let value = '';
      while (!entry.done) {
        const inner = entry.key();
        if (inner.field === 1 && inner.wireType === 2) key = entry.string();
        else if (inner.field === 2 && inner.wireType === 2) value = entry.string();
        else entry.skip(inner.wireType);
      }
      summary.metadata[key] = value;
    } else reader.skip(wireType);
  }
  if (summary.irVersion === 0) throw new ProtobufError('no ir_version field (not an ONNX ModelProto)');
  if (!hasGraph) throw new ProtobufError('no graph (not an ONNX model, or truncated before the graph)');
  if (summary.inputs.length === 0 || summary.outputs.length === 0) {
    throw new ProtobufError('the graph declares no inputs or no outputs');
  }
  return summary;
}
