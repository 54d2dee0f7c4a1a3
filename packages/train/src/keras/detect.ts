/** The two kinds of Keras model file: legacy HDF5 (`model.save('x.h5')`) and the Keras 3 zip (`.keras`). */
export type KerasFileFormat = 'hdf5' | 'keras-zip';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, index) => bytes[offset + index] === byte);
}

/**
 * The offsets where an HDF5 file may keep its signature: 0, then 512, 1024, 2048, … (a file may start with
 * a user block of one of those sizes).
 */
function hdf5SignatureOffsets(length: number): number[] {
  const offsets = [0];
  for (let offset = 512; offset + HDF5_SIGNATURE.length <= length; offset *= 2) offsets.push(offset);
  return offsets;
}

/**
 * Which kind of Keras file these bytes are, from their magic bytes alone (not the file's name): `hdf5`
 * for the HDF5 signature, `keras-zip` for a zip archive, `null` for anything else.
 *
 * @example
 * detectKerasFormat(await readFile('mnist.h5')); // 'hdf5'
 * detectKerasFormat(await readFile('mnist.keras')); // 'keras-zip'
 * detectKerasFormat(new TextEncoder().encode('{"format": "layers-model"}')); // null
 */
export function detectKerasFormat(bytes: Uint8Array): KerasFileFormat | null {
  if (startsWith(bytes, ZIP_SIGNATURE)) return 'keras-zip';
  for (const offset of hdf5SignatureOffsets(bytes.length)) {
    if (startsWith(bytes, HDF5_SIGNATURE, offset)) return 'hdf5';
  }
  return null;
}
