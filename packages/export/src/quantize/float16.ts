const view = new DataView(new ArrayBuffer(4));

/**
 * The IEEE-754 half-precision bit pattern of `value`, rounded to nearest even.
 *
 * @example
 * toFloat16Bits(1); // 0x3c00
 */
export function toFloat16Bits(value: number): number {
  view.setFloat32(0, value);
  const bits = view.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const half = 1 << (shift - 1);
    let rounded = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    if (rest > half || (rest === half && (rounded & 1) === 1)) rounded++;
    return sign | rounded;
  }
  let result = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1) === 1)) result++;
  return sign | result;
}

/**
 * Converts float32 values to float16 bit patterns.
 *
 * @example
 * toFloat16Array(new Float32Array([1, -2])); // Uint16Array [0x3c00, 0xc000]
 */
export function toFloat16Array(values: Float32Array): Uint16Array {
  const result = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index++) result[index] = toFloat16Bits(values[index]!);
  return result;
}
