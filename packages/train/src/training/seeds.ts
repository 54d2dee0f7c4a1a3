/**
 * Mixes a seed and a counter into a new 32-bit seed (so each epoch and step gets its own stream).
 *
 * @example
 * mixSeed(42, 1) === mixSeed(42, 1); // true; mixSeed(42, 2) differs
 */
export function mixSeed(seed: number, counter: number): number {
  let value = (Math.trunc(seed) ^ Math.imul(counter + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  value = Math.imul(value ^ (value >>> 16), 0x7feb352d) >>> 0;
  value = Math.imul(value ^ (value >>> 15), 0x846ca68b) >>> 0;
  return (value ^ (value >>> 16)) >>> 0;
}
