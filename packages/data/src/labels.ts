import { DatasetFormatError } from './errors.js';

/**
 * Class names for labels that come without any: `'0'`, `'1'`, … up to the largest label.
 *
 * @example
 * defaultClassNames(new Uint8Array([0, 3, 1])); // ['0', '1', '2', '3']
 */
export function defaultClassNames(labels: Uint8Array): string[] {
  let max = -1;
  for (const label of labels) max = Math.max(max, label);
  return Array.from({ length: Math.max(max + 1, 1) }, (_, index) => String(index));
}

/**
 * Throws a {@link DatasetFormatError} naming `file`, the sample and the value when a label is not below
 * `classCount`.
 *
 * @example
 * checkLabels(new Uint8Array([0, 12]), 10, 'train-labels-idx1-ubyte'); // throws: label 12 at index 1 …
 */
export function checkLabels(labels: Uint8Array, classCount: number, file: string): void {
  for (let i = 0; i < labels.length; i += 1) {
    if (labels[i]! >= classCount) {
      throw new DatasetFormatError(
        file,
        `label ${labels[i]} at index ${i} is outside the ${classCount} classes (expected 0-${classCount - 1})`,
      );
    }
  }
}
