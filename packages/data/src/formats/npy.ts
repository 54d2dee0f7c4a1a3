import { DatasetFormatError } from '../errors.js';

/** A NumPy array read from `.npy` bytes. */
export interface NpyArray {
  /** NumPy's dtype descriptor, e.g. `|u1`, `<f4`, `<i8`. */
  dtype: string;
  shape: number[];
  /** The values as a typed array of the dtype's kind (64-bit integers become a Float64Array). */
  data:
    | Uint8Array
    | Int8Array
    | Uint16Array
    | Int16Array
    | Uint32Array
    | Int32Array
    | Float32Array
    | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const ELEMENT_SIZES: Record<string, number> = {
  u1: 1,
  b1: 1,
  i1: 1,
  u2: 2,
  i2: 2,
  u4: 4,
  i4: 4,
  f4: 4,
  f8: 8,
  i8: 8,
  u8: 8,
};

/**
 * Parses a `.npy` file: magic, version, a Python-dict header (`descr`, `fortran_order`, `shape`), then
 * C-ordered little-endian values. Supports unsigned and signed integers (1-8 bytes) and float32/64. The
 * values must all be there: a header whose shape needs more bytes than follow is refused before anything is
 * allocated. Values are a view of `bytes` when aligned for their type, otherwise a copy.
 *
 * @example
 * const { dtype, shape, data } = parseNpy(bytes, 'x_train.npy'); // '|u1', [60000, 28, 28], Uint8Array
 */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new DatasetFormatError(file, 'is not a .npy array (no \\x93NUMPY magic)');
  }
  const major = bytes[6]!;
  if (major < 1 || major > 3)
    throw new DatasetFormatError(file, `is .npy format version ${major}, expected 1-3`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new DatasetFormatError(file, 'is truncated inside its .npy header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLength > bytes.length) {
    throw new DatasetFormatError(
      file,
      `declares a ${headerLength}-byte .npy header but only ${bytes.length - headerStart} bytes follow`,
    );
  }
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) {
    throw new DatasetFormatError(
      file,
      `has an unreadable .npy header ${JSON.stringify(header.trim().slice(0, 120))}`,
    );
  }
  if (fortran === 'True') throw new DatasetFormatError(file, 'is in Fortran order, expected C order');
  const parts = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.some((part) => !/^\d{1,15}L?$/.test(part))) {
    throw new DatasetFormatError(
      file,
      `has shape (${parts.join(', ')}), expected sizes that are whole numbers of at least 0`,
    );
  }
  const shape = parts.map((part) => Number.parseInt(part, 10));
  const order = descr[0];
  const kind = descr.slice(1);
  const size = ELEMENT_SIZES[kind];
  if (size === undefined || (order !== '<' && order !== '>' && order !== '|' && order !== '=')) {
    throw new DatasetFormatError(file, `dtype ${descr} is not supported (expected integers or float32/64)`);
  }
  if (order === '>' && size > 1) {
    throw new DatasetFormatError(file, `dtype ${descr} is big-endian, expected little`);
  }
  const count = shape.reduce((product, dim) => product * dim, 1);
  const offset = headerStart + headerLength;
  const available = bytes.length - offset;
  if (available < count * size) {
    throw new DatasetFormatError(
      file,
      `holds ${available} bytes of values, its header (${descr} ${shape.join('×')}) needs ${count * size} (truncated)`,
    );
  }
  // a view when the values are aligned for their typed array (numpy pads headers to 64 bytes), else a copy
  const start = bytes.byteOffset + offset;
  const aligned = start % size === 0;
  const buffer = aligned ? bytes.buffer : bytes.slice(offset, offset + count * size).buffer;
  const at = aligned ? start : 0;
  switch (kind) {
    case 'u1':
    case 'b1':
      return { dtype: descr, shape, data: new Uint8Array(buffer, at, count) };
    case 'i1':
      return { dtype: descr, shape, data: new Int8Array(buffer, at, count) };
    case 'u2':
      return { dtype: descr, shape, data: new Uint16Array(buffer, at, count) };
    case 'i2':
      return { dtype: descr, shape, data: new Int16Array(buffer, at, count) };
    case 'u4':
      return { dtype: descr, shape, data: new Uint32Array(buffer, at, count) };
    case 'i4':
      return { dtype: descr, shape, data: new Int32Array(buffer, at, count) };
    case 'f4':
      return { dtype: descr, shape, data: new Float32Array(buffer, at, count) };
    case 'f8':
      return { dtype: descr, shape, data: new Float64Array(buffer, at, count) };
    default: {
      const integers =
        kind === 'i8' ? new BigInt64Array(buffer, at, count) : new BigUint64Array(buffer, at, count);
      const data = new Float64Array(count);
      for (let i = 0; i < count; i += 1) data[i] = Number(integers[i]!);
      return { dtype: descr, shape, data };
    }
  }
}

/**
 * Writes a C-ordered little-endian `.npy` file (version 1.0): used by tests and to export arrays.
 *
 * @example
 * encodeNpy('|u1', [2, 2], new Uint8Array([0, 1, 2, 3]));
 */
export function encodeNpy(dtype: string, shape: number[], data: ArrayBufferView): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64);
  header += '\n';
  const bytes = new Uint8Array(10 + header.length + data.byteLength);
  bytes.set(MAGIC);
  bytes[6] = 1;
  bytes[7] = 0;
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  bytes.set(new TextEncoder().encode(header), 10);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return bytes;
}
