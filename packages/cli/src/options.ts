import { formatInputScale, parseInputScale } from '@cnnx/data/browser';
import { InvalidArgumentError } from 'commander';

/**
 * A commander argument parser for integers within bounds.
 *
 * @example
 * program.option('--epochs <n>', 'passes over the data', integer('--epochs', { min: 1 }), 5);
 * // `--epochs abc` → "error: option '--epochs <n>' argument 'abc' is invalid. expected an integer ≥ 1"
 */
export function integer(
  flag: string,
  bounds: { min?: number; max?: number } = {},
): (value: string) => number {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
  const expected = bounds.max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return (value: string) => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected ${expected} for ${flag}`);
    }
    return parsed;
  };
}

/**
 * A commander argument parser for finite numbers within bounds (exclusive minimum when `above` is set).
 *
 * @example
 * program.option('--lr <rate>', 'learning rate', number('--lr', { above: 0 }), 0.001);
 */
export function number(
  flag: string,
  bounds: { above?: number; min?: number; max?: number } = {},
): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    const ok =
      value.trim() !== '' &&
      Number.isFinite(parsed) &&
      (bounds.above === undefined || parsed > bounds.above) &&
      (bounds.min === undefined || parsed >= bounds.min) &&
      (bounds.max === undefined || parsed <= bounds.max);
    if (!ok) {
      const parts = [
        bounds.above !== undefined ? `> ${bounds.above}` : '',
        bounds.min !== undefined ? `≥ ${bounds.min}` : '',
        bounds.max !== undefined ? `≤ ${bounds.max}` : '',
      ].filter(Boolean);
      throw new InvalidArgumentError(
        `expected a number${parts.length ? ` ${parts.join(' and ')}` : ''} for ${flag}`,
      );
    }
    return parsed;
  };
}

/**
 * A commander argument parser that accepts one of a fixed list of words.
 *
 * @example
 * program.option('--layout <layout>', 'input layout', choice('--layout', ['nhwc', 'nchw']), 'nhwc');
 */
export function choice<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')} for ${flag}`);
    }
    return value as T;
  };
}

/**
 * A commander argument parser from a library's own parser: its RangeError or TypeError becomes commander's
 * usage error (one line naming the flag and the value, exit 2).
 *
 * @example
 * program.option('--augment [kinds]', 'augmentation', libraryParser(parseAugmentation));
 * // `--augment twist` → "error: option '--augment [kinds]' argument 'twist' is invalid. 'twist' is not an augmentation; …"
 */
export function libraryParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value: string) => {
    try {
      return parse(value);
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError)
        throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/** What `--input-scale` says in every command's help. */
export const INPUT_SCALE_HELP =
  'how raw 0-255 pixels reach the model: unit (÷255), none (as they are) or standard:MEAN:STD (on the ÷255 values)';

/**
 * A commander argument parser for `--input-scale`: `unit`, `none` or `standard:MEAN:STD`, in `@cnnx/data`'s one
 * vocabulary (the ONNX metadata's), returned in its written form.
 *
 * @example
 * program.option('--input-scale <scale>', INPUT_SCALE_HELP, inputScale());
 * // `--input-scale half` → "error: option '--input-scale <scale>' argument 'half' is invalid. --input-scale must be unit, none or standard:MEAN:STD with STD > 0, got 'half'"
 */
export function inputScale(flag = '--input-scale'): (value: string) => string {
  return libraryParser((value) => formatInputScale(parseInputScale(value, flag)));
}
