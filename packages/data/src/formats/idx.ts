import { DatasetFormatError } from '../errors.js';

/** An IDX array: its dimensions and its unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/**
 * Parses an uncompressed IDX file (LeCun's MNIST format): magic `0 0 type ndims`, `ndims` big-endian
 * 32-bit sizes, then the values. Only unsigned bytes (type 0x08, what every MNIST-like set uses) are read.
 * `expectedDims` (3 for images, 1 for labels) is checked; `file` names the file in errors.
 *
 * @example
 * const { dims, data } = parseIdx(bytes, 'train-images-idx3-ubyte', 3); // dims [60000, 28, 28]
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedDims?: number): IdxArray {
  if (bytes.length < 4)
    throw new DatasetFormatError(file, `is ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = bytes[2]!;
  const ndims = bytes[3]!;
  const expectedMagic = expectedDims === undefined ? undefined : (UNSIGNED_BYTE << 8) | expectedDims;
  if (bytes[0] !== 0 || bytes[1] !== 0 || (expectedMagic !== undefined && magic !== expectedMagic)) {
    const what = expectedDims === 1 ? 'labels' : 'images';
    throw new DatasetFormatError(
      file,
      `magic number ${magic}, expected ${expectedMagic ?? '0x0008NN'} (IDX ${what}, unsigned bytes)`,
    );
  }
  if (type !== UNSIGNED_BYTE) {
    throw new DatasetFormatError(
      file,
      `IDX value type 0x${type.toString(16)}, expected 0x08 (unsigned bytes)`,
    );
  }
  const headerSize = 4 + 4 * ndims;
  if (bytes.length < headerSize) throw new DatasetFormatError(file, `is truncated inside its IDX header`);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d += 1) dims.push(view.getUint32(4 + 4 * d));
  const size = dims.reduce((product, dim) => product * dim, 1);
  const available = bytes.length - headerSize;
  if (available !== size) {
    throw new DatasetFormatError(
      file,
      `holds ${available} bytes of values, its header (${dims.join('×')}) says ${size}${available < size ? ' (truncated)' : ''}`,
    );
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/**
 * Serialises bytes as an IDX file: the inverse of {@link parseIdx}, used to write fixtures and caches.
 *
 * @example
 * const file = encodeIdx([2, 28, 28], images); // magic 2051, 16-byte header, then 1568 bytes
 */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const bytes = new Uint8Array(header + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, (UNSIGNED_BYTE << 8) | dims.length);
  for (const [d, dim] of dims.entries()) view.setUint32(4 + 4 * d, dim);
  bytes.set(data, header);
  return bytes;
}
