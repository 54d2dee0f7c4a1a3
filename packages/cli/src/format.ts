/** Small formatting shared by the commands' terminal output. */

/**
 * A tensor shape as `[batch, 28, 28, 1]`.
 *
 * @example
 * formatShape(['batch', 28, 28, 1]); // → '[batch, 28, 28, 1]'
 */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A size in bytes, KiB or MiB.
 *
 * @example
 * formatBytes(1_686_568); // → '1.6 MiB'
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
