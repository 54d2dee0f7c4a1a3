/**
 * How much memory a dataset file may make cnnx allocate. A compressed file is refused when it would grow past
 * {@link MAX_EXPANSION} times its own size, or past {@link MIN_DECOMPRESSED_LIMIT} for small files: real image
 * sets compress 2-10×, while a decompression bomb grows a thousandfold. Sizes a file declares are checked
 * against the limit before anything is inflated, and inflating stops the moment the output passes it.
 */

/** A compressed file may always grow to this many bytes (256 MiB). */
export const MIN_DECOMPRESSED_LIMIT = 256 * 1024 * 1024;

/** Past {@link MIN_DECOMPRESSED_LIMIT}, a compressed file may grow to this many times its own size. */
export const MAX_EXPANSION = 32;

/**
 * The most bytes a compressed file of `compressedBytes` may inflate to.
 *
 * @example
 * decompressedLimit(3_100_000);   // 268435456 (256 MiB: the floor)
 * decompressedLimit(100_000_000); // 3200000000 (32×)
 */
export function decompressedLimit(compressedBytes: number): number {
  return Math.max(MIN_DECOMPRESSED_LIMIT, MAX_EXPANSION * compressedBytes);
}

/**
 * A byte count for a message: `512 bytes`, `3.0 MiB`, `6.0 GiB` (binary units, one decimal).
 *
 * @example
 * formatBytes(6 * 1024 ** 3); // '6.0 GiB'
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The limit for a compressed file as a message says it.
 *
 * @example
 * describeLimit(3 * 1024 ** 2); // 'the 256.0 MiB a 3.0 MiB file may grow to (32× its size, at least 256 MiB)'
 */
export function describeLimit(compressedBytes: number): string {
  return `the ${formatBytes(decompressedLimit(compressedBytes))} a ${formatBytes(compressedBytes)} file may grow to (${MAX_EXPANSION}× its size, at least ${MIN_DECOMPRESSED_LIMIT / 1024 ** 2} MiB)`;
}
