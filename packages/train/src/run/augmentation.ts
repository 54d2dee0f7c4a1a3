/** A run's augmentation settings: the `--augment` syntax, its defaults and how a run describes them. */
import type { Augmentation } from '@cnnx/data';

/** The augmentation `true` stands for (`--augment` alone): Keras' usual `ImageDataGenerator` settings for digits. */
export const DEFAULT_AUGMENTATION: Readonly<Required<Omit<Augmentation, 'flip'>>> = {
  shift: 2,
  rotate: 10,
  zoom: 0.1,
};

/** The largest amount each kind accepts: pixels, degrees, fraction. */
export const AUGMENTATION_LIMITS = { shift: 8, rotate: 180, zoom: 0.5 } as const;

const SYNTAX = 'a comma list of shift[=px], rotate[=degrees], zoom[=fraction], flip';

/**
 * Parses the augmentation syntax: a comma list of `shift[=px]`, `rotate[=degrees]`, `zoom[=fraction]` and
 * `flip` (a kind without an amount takes {@link DEFAULT_AUGMENTATION}'s); `true` and `false` pass through.
 * A bad part is a RangeError naming it and the syntax.
 *
 * @example
 * parseAugmentation('shift,flip'); // → { shift: 2, flip: true }
 * parseAugmentation('rotate=15');  // → { rotate: 15 }
 * parseAugmentation('twist');      // RangeError: 'twist' is not an augmentation; expected a comma list of …
 */
export function parseAugmentation(value: string | boolean): Augmentation | boolean {
  if (typeof value === 'boolean') return value;
  const result: Augmentation = {};
  for (const part of value.split(',').map((entry) => entry.trim())) {
    const [kind = '', amount] = part.split('=') as [string, string | undefined];
    if (kind === 'flip' && amount === undefined) {
      result.flip = true;
      continue;
    }
    if (kind !== 'shift' && kind !== 'rotate' && kind !== 'zoom') {
      throw new RangeError(`'${part}' is not an augmentation; expected ${SYNTAX}`);
    }
    const limit = AUGMENTATION_LIMITS[kind];
    const parsed = amount === undefined ? DEFAULT_AUGMENTATION[kind] : Number(amount);
    if (!(parsed > 0 && parsed <= limit) || amount?.trim() === '') {
      throw new RangeError(`'${part}': expected ${kind}=N with 0 < N ≤ ${limit}`);
    }
    result[kind] = parsed;
  }
  return result;
}

/**
 * The augmentation a run's setting asks for: `true` is {@link DEFAULT_AUGMENTATION}, `false` none.
 *
 * @example
 * augmentationOf(true);  // → { shift: 2, rotate: 10, zoom: 0.1 }
 * augmentationOf(false); // → undefined
 */
export function augmentationOf(setting: Augmentation | boolean): Augmentation | undefined {
  if (setting === true) return { ...DEFAULT_AUGMENTATION };
  return setting === false ? undefined : setting;
}

/**
 * The augmentation in words, for the line a run starts with (empty for none).
 *
 * @example
 * describeAugmentation({ shift: 2, flip: true }); // → 'shift 2, flip'
 */
export function describeAugmentation(setting: Augmentation | undefined): string {
  if (setting === undefined) return '';
  return Object.entries(setting)
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([kind, value]) => (value === true ? kind : `${kind} ${value}`))
    .join(', ');
}
