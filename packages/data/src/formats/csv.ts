import { DatasetFormatError } from '../errors.js';

/** Images and labels read from a CSV file: one row per image, a label column and one column per pixel. */
export interface CsvImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  pixelsPerImage: number;
  hasHeader: boolean;
}

const COMMA = 44;
const NEWLINE = 10;
const RETURN = 13;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const QUOTE = 34;
const SPACE = 32;

/**
 * Parses MNIST-style CSV bytes (Colab's `mnist_train_small.csv`, Kaggle's `train.csv`): a label column
 * then `pixels` values 0-255, with or without a header row (the header's `label` column is used when
 * present, otherwise the first column). Every row must have the same number of columns and only numbers;
 * errors name the file, the line and the cell.
 *
 * @example
 * parseCsv(new TextEncoder().encode('label,p0,p1\n3,0,255\n'), 'tiny.csv');
 * // { images: Uint8Array [0, 255], labels: Uint8Array [3], count: 1, pixelsPerImage: 2, hasHeader: true }
 */
export function parseCsv(bytes: Uint8Array, file: string): CsvImages {
  const rows: number[][] = [];
  const rowLines: number[] = [];
  let hasHeader = false;
  let labelColumn = 0;
  let columns = -1;
  let line = 0;
  let at = 0;
  // strip a UTF-8 byte order mark
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) at = 3;
  const decoder = new TextDecoder();
  while (at < bytes.length) {
    line += 1;
    let end = bytes.indexOf(NEWLINE, at);
    if (end === -1) end = bytes.length;
    let stop = end;
    if (stop > at && bytes[stop - 1] === RETURN) stop -= 1;
    const start = at;
    at = end + 1;
    if (stop === start) continue; // blank line
    if (rows.length === 0 && !hasHeader) {
      const cells = decoder.decode(bytes.subarray(start, stop)).split(',');
      if (cells.some((cell) => cell.trim() !== '' && !Number.isFinite(Number(unquote(cell))))) {
        hasHeader = true;
        columns = cells.length;
        const named = cells.findIndex((cell) => /^label$/i.test(unquote(cell).trim()));
        labelColumn = named === -1 ? 0 : named;
        continue;
      }
    }
    const row = parseRow(bytes, start, stop);
    if (typeof row === 'number') {
      const text = decoder.decode(bytes.subarray(start, stop)).split(',')[row] ?? '';
      throw new DatasetFormatError(
        file,
        `line ${line}, column ${row + 1}: ${JSON.stringify(text)} is not a number (expected 0-255)`,
      );
    }
    if (columns === -1) columns = row.length;
    if (row.length !== columns) {
      throw new DatasetFormatError(file, `line ${line} has ${row.length} columns, expected ${columns}`);
    }
    rows.push(row);
    rowLines.push(line);
  }
  if (rows.length === 0) throw new DatasetFormatError(file, 'holds no data rows');
  if (columns < 2) throw new DatasetFormatError(file, `has ${columns} column, expected a label and pixels`);
  const pixelsPerImage = columns - 1;
  const images = new Uint8Array(rows.length * pixelsPerImage);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, r) => {
    let p = r * pixelsPerImage;
    for (let c = 0; c < row.length; c += 1) {
      const value = row[c]!;
      if (c === labelColumn) {
        if (!Number.isInteger(value) || value < 0 || value > 255) {
          throw new DatasetFormatError(
            file,
            `line ${rowLines[r]}: label ${value} is not a class index (expected an integer 0-255)`,
          );
        }
        labels[r] = value;
        continue;
      }
      if (value < 0 || value > 255) {
        throw new DatasetFormatError(
          file,
          `line ${rowLines[r]}, column ${c + 1}: pixel ${value} is outside 0-255`,
        );
      }
      images[p++] = Math.round(value);
    }
  });
  return { images, labels, count: rows.length, pixelsPerImage, hasHeader };
}

function unquote(cell: string): string {
  const trimmed = cell.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

/** The numbers of one row, or the index of the first cell that is not a number. */
function parseRow(bytes: Uint8Array, start: number, stop: number): number[] | number {
  const row: number[] = [];
  let at = start;
  while (at <= stop) {
    let end = at;
    while (end < stop && bytes[end] !== COMMA) end += 1;
    let from = at;
    let to = end;
    while (from < to && bytes[from] === SPACE) from += 1;
    while (to > from && bytes[to - 1] === SPACE) to -= 1;
    if (to - from >= 2 && bytes[from] === QUOTE && bytes[to - 1] === QUOTE) {
      from += 1;
      to -= 1;
    }
    const value = parseNumber(bytes, from, to);
    if (Number.isNaN(value)) return row.length;
    row.push(value);
    at = end + 1;
  }
  return row;
}

/** A decimal number from bytes (integers fast, anything else through `Number`), NaN when it is not one. */
function parseNumber(bytes: Uint8Array, from: number, to: number): number {
  if (from === to) return Number.NaN;
  let value = 0;
  let integer = true;
  for (let i = from; i < to; i += 1) {
    const byte = bytes[i]!;
    if (byte >= ZERO && byte <= NINE) value = value * 10 + (byte - ZERO);
    else {
      integer = false;
      break;
    }
  }
  if (integer) return value;
  let text = '';
  for (let i = from; i < to; i += 1) {
    const byte = bytes[i]!;
    if (!((byte >= ZERO && byte <= NINE) || byte === MINUS || byte === DOT || byte === 101 || byte === 43)) {
      return Number.NaN;
    }
    text += String.fromCharCode(byte);
  }
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : Number.NaN;
}
