import type { EvaluationMetrics } from './types.js';

const HEADERS = ['precision', 'recall', 'f1-score', 'support'];
const LONGEST_AVERAGE_HEADING = 'weighted avg';

/**
 * The classification report as scikit-learn's `classification_report(digits=…)` prints it: one row per
 * class, then accuracy (named "micro avg" when some class is neither true nor predicted, as scikit-learn
 * does when given every label), macro avg and weighted avg, right-aligned in 9-character columns, numbers
 * rounded half-to-even as Python's format does.
 *
 * @example
 * console.log(formatClassificationReport(metrics));
 * //               precision    recall  f1-score   support
 * //
 * //          cat       0.50      1.00      0.67         1
 * //          dog       1.00      0.50      0.67         2
 * //
 * //     accuracy                           0.67         3
 * //    macro avg       0.75      0.75      0.67         3
 * // weighted avg       0.83      0.67      0.67         3
 */
export function formatClassificationReport(metrics: EvaluationMetrics, digits = 2): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new RangeError(`'digits' is ${digits}; expected an integer from 0 to 20`);
  }
  const width = Math.max(
    LONGEST_AVERAGE_HEADING.length,
    digits,
    ...metrics.perClass.map((entry) => entry.label.length),
  );
  const cell = (text: string) => ` ${text.padStart(9)}`;
  const number = (value: number) => cell(formatFixed(value, digits));
  const row = (heading: string, values: { precision: number; recall: number; f1: number }, support: number) =>
    `${heading.padStart(width)} ${number(values.precision)}${number(values.recall)}${number(values.f1)}${cell(String(support))}\n`;

  let report = `${''.padStart(width)} ${HEADERS.map(cell).join('')}\n\n`;
  for (const entry of metrics.perClass) report += row(entry.label, entry, entry.support);
  report += '\n';
  const total = metrics.perClass.reduce((sum, entry) => sum + entry.support, 0);
  if (everyClassSeen(metrics)) {
    report += `${'accuracy'.padStart(width)} ${cell('')}${cell('')}${number(metrics.accuracy)}${cell(String(total))}\n`;
  } else {
    // scikit-learn names the row "micro avg" when a listed class is neither true nor predicted anywhere.
    const micro = { precision: metrics.accuracy, recall: metrics.accuracy, f1: metrics.accuracy };
    report += row('micro avg', micro, total);
  }
  report += row('macro avg', metrics.macroAvg, total);
  report += row('weighted avg', metrics.weightedAvg, total);
  return report;
}

/**
 * Formats like Python's `format(value, '.{digits}f')`: exact decimal ties round half to even (JavaScript's
 * `toFixed` rounds them up).
 *
 * @example
 * formatFixed(0.125, 2); // '0.12' (toFixed gives '0.13')
 * formatFixed(0.375, 2); // '0.38'
 */
export function formatFixed(value: number, digits: number): string {
  const fixed = value.toFixed(digits);
  // toFixed is exact for up to 100 digits, so an exact tie reads as a 5 followed only by zeros.
  const exact = value.toFixed(Math.min(100, digits + 40));
  const afterDigits = exact.slice(exact.length - 40);
  if (!/^50*$/.test(afterDigits)) return fixed;
  const truncated = exact.slice(0, exact.length - 40).replace(/\.$/, '');
  const lastDigit = Number(truncated.at(-1));
  return lastDigit % 2 === 0 ? truncated : fixed;
}

/** True when every class occurs among the true or the predicted classes. */
function everyClassSeen(metrics: EvaluationMetrics): boolean {
  const matrix = metrics.confusionMatrix;
  return matrix.every((row, index) => {
    if (row.some((count) => count > 0)) return true;
    return matrix.some((other) => (other[index] as number) > 0);
  });
}
