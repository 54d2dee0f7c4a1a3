import { unzipSync } from 'fflate';
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

/**
 * Parses a `.npy` file: magic, version, a Python-dict header (`descr`, `fortran_order`, `shape`), then
 * C-ordered little-endian values. Supports unsigned and signed integers (1-8 bytes) and float32/64.
 *
 * @example
 * const { dtype, shape, data } = parseNpy(bytes, 'x_train.npy'); // '|u1', [60000, 28, 28], Uint8Array
 */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new DatasetFormatError(file, 'is not a .npy array (no \\x93NUMPY magic)');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) {
    throw new DatasetFormatError(file, `has an unreadable .npy header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === 'True') throw new DatasetFormatError(file, 'is in Fortran order, expected C order');
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((product, dim) => product * dim, 1);
  const offset = headerStart + headerLength;
  const kind = descr.slice(1);
  const size = Number(kind.slice(1));
  if (descr[0] === '>' && size > 1)
    throw new DatasetFormatError(file, `dtype ${descr} is big-endian, expected little`);
  if (bytes.length - offset < count * size) {
    throw new DatasetFormatError(
      file,
      `holds ${bytes.length - offset} bytes of values, its header (${descr} ${shape.join('×')}) needs ${count * size} (truncated)`,
    );
  }
  // copy so the values are aligned for their typed array
  const raw = bytes.slice(offset, offset + count * size).buffer;
  switch (kind) {
    case 'u1':
    case 'b1':
      return { dtype: descr, shape, data: new Uint8Array(raw) };
    case 'i1':
      return { dtype: descr, shape, data: new Int8Array(raw) };
    case 'u2':
      return { dtype: descr, shape, data: new Uint16Array(raw) };
    case 'i2':
      return { dtype: descr, shape, data: new Int16Array(raw) };
    case 'u4':
      return { dtype: descr, shape, data: new Uint32Array(raw) };
    case 'i4':
      return { dtype: descr, shape, data: new Int32Array(raw) };
    case 'f4':
      return { dtype: descr, shape, data: new Float32Array(raw) };
    case 'f8':
      return { dtype: descr, shape, data: new Float64Array(raw) };
    case 'i8':
    case 'u8':
      return {
        dtype: descr,
        shape,
        data: Float64Array.from(kind === 'i8' ? new BigInt64Array(raw) : new BigUint64Array(raw), Number),
      };
    default:
      throw new DatasetFormatError(file, `dtype ${descr} is not supported (expected integers or float32/64)`);
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

/**
 * Reads the arrays of an `.npz` file (a zip of `.npy` files, unzipped with fflate), by name without `.npy`.
 *
 * @example
 * const arrays = parseNpz(bytes, 'mnist.npz'); // { x_train: {...}, y_train: {...}, x_test: ..., y_test: ... }
 */
export function parseNpz(bytes: Uint8Array, file: string): Record<string, NpyArray> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetFormatError(file, `is not a readable .npz (zip) file (${reason})`, { cause: error });
  }
  const arrays: Record<string, NpyArray> = {};
  for (const [name, content] of Object.entries(entries)) {
    if (!name.endsWith('.npy')) continue;
    arrays[name.slice(0, -4)] = parseNpy(content, `${file}:${name}`);
  }
  return arrays;
}
