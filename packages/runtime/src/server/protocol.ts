/**
 * The Open Inference Protocol v2 request and response bodies (JSON, plus Triton's binary tensor and
 * classification extensions), as pure functions on buffers and typed arrays: no sockets, no onnxruntime.
 */
import { affineOf, inputScaleOf, type PixelAffine } from '@cnnx/data/browser';
import { badRequest } from './errors.js';
import { NumberList, parseRequestJson } from './fast-json.js';
import type { ServedModel } from './types.js';

/** A model input or output in protocol terms: datatype `FP32`, shape with -1 for free dimensions. */
export interface TensorSignature {
  name: string;
  datatype: string;
  shape: number[];
  /** Elements per batch item (the product of the dimensions after the batch). */
  itemSize: number;
}

/** What the protocol layer knows of the served model. */
export interface ModelSignature {
  name: string;
  version: string;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  classNames: readonly string[];
  /** How raw 0-255 pixels (a UINT8 input) become the model's float input (its `cnnx.input_scale`). */
  pixelAffine: PixelAffine;
}

/** One output the client asked for. */
export interface RequestedOutput {
  /** Index into the model's outputs. */
  index: number;
  binary: boolean;
  /** Top-k classification strings instead of the tensor, when > 0. */
  classification: number;
}

/** A validated infer request: the inputs as model-ready float tensors, in model input order. */
export interface InferRequest {
  id: string | undefined;
  /** Batch items in this request (the first dimension of every input). */
  count: number;
  inputs: Float32Array[];
  outputs: RequestedOutput[];
  /** The request's own deadline in the queue, from `parameters.timeout` (µs, as Triton) or `timeout_ms`. */
  timeoutMs: number | undefined;
}

/** The result of one request: each model output's values for this request's batch items. */
export type OutputValues = ArrayLike<number | bigint>[];

const DATATYPES: Record<string, string> = {
  float32: 'FP32',
  float16: 'FP16',
  float64: 'FP64',
  uint8: 'UINT8',
  int8: 'INT8',
  uint16: 'UINT16',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

/**
 * The protocol's view of a served model: datatypes, shapes with -1 for the batch, and the arithmetic of its
 * input scale (text such as `standard:0.1307:0.3081`, or `@cnnx/data`'s structured `InputScale`).
 *
 * @example
 * describeModel('mnist', classifier.info, 'unit').inputs[0];
 * // { name: 'input', datatype: 'FP32', shape: [-1, 28, 28, 1], itemSize: 784 }
 */
export function describeModel(
  name: string,
  info: ServedModel['info'],
  inputScale: unknown = 'unit',
): ModelSignature {
  const signature = (tensor: ServedModel['info']['inputs'][number]): TensorSignature => {
    const shape = tensor.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1));
    const itemSize = shape.slice(1).reduce((product, dim) => product * Math.max(dim, 1), 1);
    return {
      name: tensor.name,
      datatype: DATATYPES[tensor.type] ?? tensor.type.toUpperCase(),
      shape,
      itemSize,
    };
  };
  return {
    name,
    version: '1',
    inputs: info.inputs.map(signature),
    outputs: info.outputs.map(signature),
    classNames: info.classNames,
    pixelAffine: affineOf(inputScaleOf(inputScale, "'inputScale'")),
  };
}

const HEADER_LENGTH = 'inference-header-content-length';

/**
 * Parses and validates an infer request body against the model. `headerLength` is the value of the
 * `Inference-Header-Content-Length` header: when present the body is a JSON header followed by binary
 * tensors (Triton's binary tensor extension). Throws {@link HttpError} 400 naming the field at fault.
 *
 * @example
 * const request = parseInferRequest(Buffer.from('{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":[...]}]}'), undefined, model);
 * request.count; // 1
 */
export function parseInferRequest(
  body: Buffer,
  headerLength: string | string[] | undefined,
  model: ModelSignature,
): InferRequest {
  let jsonEnd = body.length;
  if (headerLength !== undefined) {
    const value = Array.isArray(headerLength) ? headerLength[0] : headerLength;
    const parsed = Number(value);
    if (!/^\d+$/.test(value ?? '') || parsed > body.length) {
      throw badRequest(
        `header ${HEADER_LENGTH} '${value}' is not a length within the ${body.length}-byte body`,
      );
    }
    jsonEnd = parsed;
  }
  if (jsonEnd === 0) throw badRequest('request body is empty; expected a JSON inference request');
  let parsed: unknown = parseRequestJson(body, jsonEnd);
  try {
    parsed ??= JSON.parse(
      jsonEnd === body.length ? body.toString('utf8') : body.toString('utf8', 0, jsonEnd),
    );
  } catch (error) {
    throw badRequest(`request body is not valid JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  return validateInferRequest(parsed, body.subarray(jsonEnd), model, body.length);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short JSON rendering of a request value for an error message; never deeper than a few levels. */
function show(value: unknown): string {
  const text = JSON.stringify(shallow(value, 3));
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** `value` cut off below `levels` of nesting (and after a few entries), so stringifying it cannot recurse deeply. */
function shallow(value: unknown, levels: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (levels === 0) return Array.isArray(value) ? ['...'] : { '...': '...' };
  if (Array.isArray(value)) return value.slice(0, 8).map((item) => shallow(item, levels - 1));
  const entries = Object.entries(value).slice(0, 8);
  return Object.fromEntries(entries.map(([key, item]) => [key, shallow(item, levels - 1)]));
}

/** A count for a message: exact below a million, else in exponent form (`7.84e+17`). */
function showCount(count: number): string {
  return count < 1e6 ? String(count) : count.toExponential(2);
}

/** What an FP32 value must be: a double that rounds to a finite float32 (beyond ±3.4028235e38 it rounds to ±Infinity). */
const FLOAT32_LIMIT = 'a finite number that fits FP32 (magnitude at most 3.4028235e38)';

/**
 * Validates a parsed JSON infer request (and the binary section that followed its JSON header).
 *
 * @example
 * validateInferRequest({ inputs: [{ name: 'input', shape: [1, 784], datatype: 'UINT8', data: pixels }] }, Buffer.alloc(0), model);
 */
export function validateInferRequest(
  parsed: unknown,
  binary: Buffer,
  model: ModelSignature,
  bodyLength = Number.POSITIVE_INFINITY,
): InferRequest {
  if (!isRecord(parsed)) throw badRequest('request body must be a JSON object with an "inputs" array');
  const { id, inputs, outputs, parameters } = parsed;
  if (id !== undefined && typeof id !== 'string') throw badRequest(`"id" must be a string, got ${show(id)}`);
  if (parameters !== undefined && !isRecord(parameters)) {
    throw badRequest(`"parameters" must be an object, got ${show(parameters)}`);
  }
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw badRequest(`"inputs" must be a non-empty array of tensors, got ${show(inputs)}`);
  }
  const tensors: (Float32Array | undefined)[] = new Array(model.inputs.length).fill(undefined);
  let count = -1;
  let binaryOffset = 0;
  for (let i = 0; i < inputs.length; i++) {
    const input: unknown = inputs[i];
    const field = `inputs[${i}]`;
    if (!isRecord(input)) throw badRequest(`${field} must be an object with name, shape, datatype and data`);
    const { name, shape, datatype, data } = input;
    const index = model.inputs.findIndex((candidate) => candidate.name === name);
    const expected = model.inputs[index];
    if (expected === undefined) {
      throw badRequest(
        `${field}.name ${show(name)} is not an input of model '${model.name}'; expected ${model.inputs.map((input) => `'${input.name}'`).join(', ')}`,
      );
    }
    if (tensors[index] !== undefined) throw badRequest(`${field}.name '${expected.name}' is given twice`);
    if (datatype !== 'FP32' && datatype !== 'UINT8') {
      throw badRequest(`${field}.datatype ${show(datatype)} is not supported; expected FP32 or UINT8`);
    }
    const dims = checkShape(shape, expected, `${field}.shape`);
    const batch = dims[0] as number;
    if (count !== -1 && batch !== count) {
      throw badRequest(`${field}.shape has batch ${batch} but an earlier input has batch ${count}`);
    }
    count = batch;
    const length = batch * expected.itemSize;
    const parametersOfInput = input.parameters;
    const binarySize = isRecord(parametersOfInput) ? parametersOfInput.binary_data_size : undefined;
    if (binarySize !== undefined) {
      const bytes = datatype === 'FP32' ? length * 4 : length;
      if (binarySize !== bytes) {
        throw badRequest(
          `${field}.parameters.binary_data_size ${show(binarySize)} does not match shape ${show(dims)} of ${datatype} (${bytes} bytes)`,
        );
      }
      if (binaryOffset + bytes > binary.length) {
        throw badRequest(
          `${field} needs ${bytes} bytes of binary data but only ${binary.length - binaryOffset} follow the JSON header`,
        );
      }
      tensors[index] = fromBinary(binary, binaryOffset, length, datatype, model.pixelAffine, field);
      binaryOffset += bytes;
    } else {
      // Every JSON value takes at least one byte of the body: a shape that claims more values than the body
      // holds is refused before anything is allocated for it.
      if (length > bodyLength) {
        throw badRequest(
          `${field}.shape ${show(dims)} holds ${showCount(length)} values, more than a ${bodyLength}-byte request body can carry`,
        );
      }
      if (data instanceof NumberList) {
        tensors[index] = fromNumberList(data, length, datatype, dims, model.pixelAffine, `${field}.data`);
      } else if (Array.isArray(data)) {
        tensors[index] = fromJson(data, length, datatype, dims, model.pixelAffine, `${field}.data`);
      } else {
        throw badRequest(`${field}.data must be an array of numbers (or parameters.binary_data_size set)`);
      }
    }
  }
  const missing = model.inputs.filter((_, index) => tensors[index] === undefined);
  if (missing.length > 0) {
    throw badRequest(
      `"inputs" lacks ${missing.map((input) => `'${input.name}'`).join(', ')}; model '${model.name}' needs ${model.inputs.map((input) => `'${input.name}'`).join(', ')}`,
    );
  }
  if (binaryOffset !== binary.length) {
    throw badRequest(`${binary.length - binaryOffset} bytes of binary data follow the inputs unused`);
  }
  const binaryOutput = parameters?.binary_data_output === true;
  return {
    id,
    count,
    inputs: tensors as Float32Array[],
    outputs: parseOutputs(outputs, model, binaryOutput),
    timeoutMs: parseTimeout(parameters),
  };
}

function checkShape(shape: unknown, expected: TensorSignature, field: string): number[] {
  const valid =
    Array.isArray(shape) &&
    shape.length === expected.shape.length &&
    shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0) &&
    shape.every((dim, axis) => expected.shape[axis] === -1 || expected.shape[axis] === dim);
  if (!valid || (shape[0] as number) < 1) {
    throw badRequest(
      `${field} ${show(shape)} does not match input '${expected.name}' of shape ${show(expected.shape)} (-1 is the batch, at least 1)`,
    );
  }
  return shape as number[];
}

function fromBinary(
  binary: Buffer,
  offset: number,
  length: number,
  datatype: 'FP32' | 'UINT8',
  scale: PixelAffine,
  field: string,
): Float32Array {
  const values = new Float32Array(length);
  if (datatype === 'FP32') {
    // Copies into an aligned buffer; the protocol's byte order is little-endian, as is every host here.
    new Uint8Array(values.buffer).set(binary.subarray(offset, offset + length * 4));
    for (let i = 0; i < length; i++) {
      const value = values[i] as number;
      if (value - value !== 0) {
        throw badRequest(`${field} binary data[${i}] is ${value}; expected a finite number (FP32)`);
      }
    }
    return values;
  }
  const { multiplier, offset: shift } = scale;
  for (let i = 0; i < length; i++) values[i] = (binary[offset + i] as number) * multiplier + shift;
  return values;
}

function fromNumberList(
  list: NumberList,
  length: number,
  datatype: 'FP32' | 'UINT8',
  dims: number[],
  scale: PixelAffine,
  field: string,
): Float32Array {
  if (list.depth > dims.length) throw tooDeep(field, dims);
  if (list.length !== length) {
    throw badRequest(`${field} has ${list.length} values but shape ${show(dims)} needs ${length}`);
  }
  const { values } = list;
  if (datatype === 'FP32') {
    const floats = Float32Array.from(values);
    for (let i = 0; i < length; i++) {
      const value = floats[i] as number;
      // a double beyond float32's range rounds to ±Infinity here
      if (value - value !== 0)
        throw badRequest(`${field}[${i}] is ${show(values[i])}; expected ${FLOAT32_LIMIT}`);
    }
    return floats;
  }
  const { multiplier, offset } = scale;
  const scaled = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const value = values[i] as number;
    if (!(Number.isInteger(value) && value >= 0 && value <= 255)) {
      throw badRequest(`${field}[${i}] is ${show(value)}; expected an integer 0-255 (UINT8)`);
    }
    scaled[i] = value * multiplier + offset;
  }
  return scaled;
}

function tooDeep(field: string, dims: number[]) {
  return badRequest(`${field} is nested deeper than its shape ${show(dims)} (${dims.length} dimensions)`);
}

function fromJson(
  data: unknown[],
  length: number,
  datatype: 'FP32' | 'UINT8',
  dims: number[],
  scale: PixelAffine,
  field: string,
): Float32Array {
  const values = new Float32Array(length);
  const uint8 = datatype === 'UINT8';
  let written = 0;
  // Walks the nested arrays with an explicit stack (a request may nest them deeper than any call stack).
  const arrays: unknown[][] = [data];
  const next: number[] = [0];
  while (arrays.length > 0) {
    const level = arrays.length - 1;
    const items = arrays[level] as unknown[];
    const i = next[level] as number;
    if (i === items.length) {
      arrays.pop();
      next.pop();
      continue;
    }
    next[level] = i + 1;
    const value = items[i];
    if (typeof value === 'number') {
      const stored = uint8 ? value : Math.fround(value);
      if (uint8 ? !(Number.isInteger(value) && value >= 0 && value <= 255) : stored - stored !== 0) {
        throw badRequest(
          `${field}[${written}] is ${show(value)}; expected ${uint8 ? 'an integer 0-255 (UINT8)' : FLOAT32_LIMIT}`,
        );
      }
      if (written < length) values[written] = value;
      written++;
    } else if (Array.isArray(value)) {
      if (arrays.length === dims.length) throw tooDeep(field, dims);
      arrays.push(value);
      next.push(0);
    } else {
      throw badRequest(`${field}[${written}] is ${show(value)}; expected a number`);
    }
  }
  if (written !== length) {
    throw badRequest(`${field} has ${written} values but shape ${show(dims)} needs ${length}`);
  }
  if (uint8) {
    const { multiplier, offset } = scale;
    for (let i = 0; i < length; i++) values[i] = (values[i] as number) * multiplier + offset;
  }
  return values;
}

function parseOutputs(outputs: unknown, model: ModelSignature, binaryOutput: boolean): RequestedOutput[] {
  if (outputs === undefined) {
    return model.outputs.map((_, index) => ({ index, binary: binaryOutput, classification: 0 }));
  }
  if (!Array.isArray(outputs) || outputs.length === 0) {
    throw badRequest(`"outputs" must be a non-empty array of {name}, got ${show(outputs)}`);
  }
  return outputs.map((output: unknown, i) => {
    const field = `outputs[${i}]`;
    if (!isRecord(output)) throw badRequest(`${field} must be an object with a name`);
    const index = model.outputs.findIndex((candidate) => candidate.name === output.name);
    if (index === -1) {
      throw badRequest(
        `${field}.name ${show(output.name)} is not an output of model '${model.name}'; expected ${model.outputs.map((o) => `'${o.name}'`).join(', ')}`,
      );
    }
    const parameters = output.parameters ?? {};
    if (!isRecord(parameters)) throw badRequest(`${field}.parameters must be an object`);
    const { binary_data: binary = binaryOutput, classification = 0 } = parameters;
    if (typeof binary !== 'boolean') {
      throw badRequest(`${field}.parameters.binary_data must be true or false, got ${show(binary)}`);
    }
    const classes = model.outputs[index]?.itemSize ?? 0;
    if (!Number.isSafeInteger(classification) || (classification as number) < 0) {
      throw badRequest(
        `${field}.parameters.classification must be an integer 1-${classes}, got ${show(classification)}`,
      );
    }
    return { index, binary, classification: Math.min(classification as number, classes) };
  });
}

function parseTimeout(parameters: Record<string, unknown> | undefined): number | undefined {
  if (parameters === undefined) return undefined;
  const { timeout, timeout_ms: timeoutMs } = parameters;
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !(timeout > 0)) {
      throw badRequest(`parameters.timeout must be a positive number of microseconds, got ${show(timeout)}`);
    }
    return timeout / 1000;
  }
  if (timeoutMs !== undefined) {
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      throw badRequest(`parameters.timeout_ms must be a positive number, got ${show(timeoutMs)}`);
    }
    return timeoutMs;
  }
  return undefined;
}

/**
 * The top `k` classes of each item as Triton's classification extension writes them:
 * `"<probability>:<index>:<label>"`, best first.
 *
 * @example
 * classificationStrings(new Float32Array([0.1, 0.9]), 1, 2, 1, ['cat', 'dog']); // ['0.900000:1:dog']
 */
export function classificationStrings(
  values: ArrayLike<number | bigint>,
  count: number,
  classes: number,
  k: number,
  classNames: readonly string[],
): string[] {
  const strings: string[] = [];
  const order = Array.from({ length: classes }, (_, index) => index);
  for (let item = 0; item < count; item++) {
    const base = item * classes;
    const score = (index: number) => Number(values[base + index]);
    order.sort((a, b) => score(b) - score(a) || a - b);
    for (let rank = 0; rank < k; rank++) {
      const index = order[rank] as number;
      const label = classNames[index];
      strings.push(
        label === undefined
          ? `${score(index).toFixed(6)}:${index}`
          : `${score(index).toFixed(6)}:${index}:${label}`,
      );
    }
    order.sort((a, b) => a - b);
  }
  return strings;
}

/** A response body: a JSON string, or a JSON header plus binary tensors with its header length. */
export interface EncodedResponse {
  body: string | Buffer;
  headerLength: number | undefined;
}

/**
 * Writes the infer response for one request: the requested outputs as JSON `data`, as binary tensors
 * after the JSON header (`parameters.binary_data_size`), or as classification strings.
 *
 * @example
 * encodeInferResponse(model, request, [probabilities]).body;
 * // '{"model_name":"mnist","model_version":"1","outputs":[{"name":"probabilities","datatype":"FP32","shape":[1,10],"data":[...]}]}'
 */
export function encodeInferResponse(
  model: ModelSignature,
  request: InferRequest,
  values: OutputValues,
): EncodedResponse {
  const outputs: Record<string, unknown>[] = [];
  const chunks: Buffer[] = [];
  for (const wanted of request.outputs) {
    const signature = model.outputs[wanted.index] as TensorSignature;
    const data = values[wanted.index] as ArrayLike<number | bigint>;
    const itemSize = data.length / request.count;
    if (wanted.classification > 0) {
      const strings = classificationStrings(
        data,
        request.count,
        itemSize,
        wanted.classification,
        model.classNames,
      );
      const shape = [request.count, wanted.classification];
      if (wanted.binary) {
        const encoded = encodeBytesTensor(strings);
        chunks.push(encoded);
        outputs.push({
          name: signature.name,
          datatype: 'BYTES',
          shape,
          parameters: { binary_data_size: encoded.length },
        });
      } else {
        outputs.push({ name: signature.name, datatype: 'BYTES', shape, data: strings });
      }
      continue;
    }
    const shape = [request.count, ...signature.shape.slice(1).map((dim) => (dim < 0 ? itemSize : dim))];
    if (wanted.binary) {
      const bytes = toBytes(data);
      chunks.push(bytes);
      outputs.push({
        name: signature.name,
        datatype: signature.datatype,
        shape,
        parameters: { binary_data_size: bytes.length },
      });
    } else {
      const list =
        typeof data[0] === 'bigint' ? Array.from(data, Number) : Array.from(data as ArrayLike<number>);
      outputs.push({ name: signature.name, datatype: signature.datatype, shape, data: list });
    }
  }
  const json = JSON.stringify(
    request.id === undefined
      ? { model_name: model.name, model_version: model.version, outputs }
      : { model_name: model.name, model_version: model.version, id: request.id, outputs },
  );
  if (chunks.length === 0) return { body: json, headerLength: undefined };
  const header = Buffer.from(json, 'utf8');
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.length };
}

function toBytes(data: ArrayLike<number | bigint>): Buffer {
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(new Float32Array(data as ArrayLike<number>).buffer);
}

/**
 * Serialises strings as a BYTES tensor: each element a 4-byte little-endian length then its UTF-8 bytes.
 *
 * @example
 * encodeBytesTensor(['ab']); // <Buffer 02 00 00 00 61 62>
 */
export function encodeBytesTensor(strings: readonly string[]): Buffer {
  const parts = strings.map((text) => Buffer.from(text, 'utf8'));
  const out = Buffer.alloc(parts.reduce((total, part) => total + 4 + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.writeUInt32LE(part.length, offset);
    part.copy(out, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}
