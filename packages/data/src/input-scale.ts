/*
 * How raw 0-255 pixels become a model's input floats: the `cnnx.input_scale` of exported models. One
 * vocabulary for the datasets (`toFloat32`), the exporter (its metadata) and the runtime (the Classifier
 * and the server's UINT8 inputs): the text form, the structured form and the arithmetic.
 */

/** An input scale, structured: `unit` divides by 255, `none` keeps 0-255, `standard` standardises the ÷255 values. */
export type InputScale =
  | { kind: 'unit' } // ÷255
  | { kind: 'none' } // as is
  | { kind: 'standard'; mean: number; std: number }; // (÷255 − mean) / std

/** The shorthand `toFloat32` also accepts: `'unit'`, `'none'` or `{ mean, std }` (standardised). */
export type PixelScale = 'unit' | 'none' | { mean: number; std: number };

/** The arithmetic of an input scale on one 0-255 value: `pixel * multiplier + offset`. */
export interface PixelAffine {
  multiplier: number;
  offset: number;
}

const EXPECTED = 'unit, none or standard:MEAN:STD with STD > 0';

function standard(mean: number, std: number): InputScale | undefined {
  return Number.isFinite(mean) && Number.isFinite(std) && std > 0
    ? { kind: 'standard', mean, std }
    : undefined;
}

/**
 * Parses the text form of an input scale (`unit`, `none` or `standard:MEAN:STD`); `where` names the value in
 * the RangeError a bad one raises.
 *
 * @example
 * parseInputScale('standard:0.1307:0.3081'); // → { kind: 'standard', mean: 0.1307, std: 0.3081 }
 * parseInputScale('half', '--input-scale');   // RangeError: --input-scale must be unit, none or standard:MEAN:STD with STD > 0, got 'half'
 */
export function parseInputScale(text: string, where = "'inputScale'"): InputScale {
  if (text === 'unit' || text === 'none') return { kind: text };
  const match = /^standard:([^:]+):([^:]+)$/.exec(text);
  const parsed = match ? standard(Number(match[1]), Number(match[2])) : undefined;
  if (parsed === undefined) throw new RangeError(`${where} must be ${EXPECTED}, got '${text}'`);
  return parsed;
}

/**
 * The text form of an input scale, as the `cnnx.input_scale` metadata holds it.
 *
 * @example
 * formatInputScale({ kind: 'standard', mean: 0.5, std: 0.25 }); // → 'standard:0.5:0.25'
 */
export function formatInputScale(scale: InputScale): string {
  return scale.kind === 'standard' ? `standard:${scale.mean}:${scale.std}` : scale.kind;
}

/**
 * Any form of an input scale (text, structured, or `toFloat32`'s shorthand) as the structured form.
 *
 * @example
 * inputScaleOf({ mean: 0.5, std: 0.5 }); // → { kind: 'standard', mean: 0.5, std: 0.5 }
 * inputScaleOf('unit');                  // → { kind: 'unit' }
 */
export function inputScaleOf(scale: unknown, where = "'scale'"): InputScale {
  if (typeof scale === 'string') return parseInputScale(scale, where);
  if (typeof scale === 'object' && scale !== null) {
    const { kind, mean, std } = scale as { kind?: unknown; mean?: unknown; std?: unknown };
    if ((kind === 'unit' || kind === 'none') && mean === undefined) return { kind };
    if (kind === undefined || kind === 'standard') {
      const parsed = standard(Number(mean), Number(std));
      if (parsed !== undefined && typeof mean === 'number' && typeof std === 'number') return parsed;
    }
  }
  throw new RangeError(`${where} must be ${EXPECTED} (or { mean, std }), got ${JSON.stringify(scale)}`);
}

/**
 * The arithmetic of an input scale.
 *
 * @example
 * affineOf({ kind: 'standard', mean: 0.5, std: 0.5 }); // → { multiplier: 2 / 255, offset: -1 }
 */
export function affineOf(scale: InputScale): PixelAffine {
  if (scale.kind === 'none') return { multiplier: 1, offset: 0 };
  if (scale.kind === 'unit') return { multiplier: 1 / 255, offset: 0 };
  return { multiplier: 1 / (255 * scale.std), offset: -scale.mean / scale.std };
}
