/** Which part of a dataset to load: the training images or the held-out test images. */
export type DatasetSplit = 'train' | 'test';

/** A file a dataset was read from, with its SHA-256 so a run can say exactly what it trained on. */
export interface SourceFile {
  path: string;
  sha256: string;
}

/** Images and labels kept as bytes: the one shape every loader returns. */
export interface Dataset {
  /** n × height × width × channels, row-major, 0-255. */
  images: Uint8Array;
  /** n class indices, each below `classNames.length`. */
  labels: Uint8Array;
  classNames: string[];
  shape: [height: number, width: number, channels: number];
  count: number;
  source: { spec: string; split?: DatasetSplit; files: SourceFile[] };
}

/** The ink's bounding box in the source image (pixels, inclusive start, exclusive end). */
export interface DigitBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A digit prepared the way MNIST's authors prepared theirs, and what was done to it. */
export interface PreparedDigit {
  /** 28 × 28 grayscale, bright ink on a dark background, 0-255. */
  pixels: Uint8Array;
  width: 28;
  height: 28;
  /** True when the source was dark ink on a light background and was inverted. */
  inverted: boolean;
  /** Where the ink was found in the source image; `null` when the image held no ink at all. */
  box: DigitBox | null;
  /**
   * The decoded image the preparation started from (gray or RGB, at the working size), when asked for
   * (`prepareDigit`'s `keepSource`).
   */
  source?: { pixels: Uint8Array; width: number; height: number; channels: 1 | 3 };
  /**
   * The cleaned page, gray, as large as the image prepared: white paper, the digit's ink dark, the marks
   * that were dropped (printed lines, specks, other marks) light gray. Only with `keepPage`.
   */
  page?: { pixels: Uint8Array; width: number; height: number };
}

/** Options of the pure 28×28 preparation. */
export interface PrepareDigitOptions {
  /**
   * `auto` (default) decides from the border which side is background; `dark-on-light` always inverts;
   * `light-on-dark` never does.
   */
  polarity?: 'auto' | 'dark-on-light' | 'light-on-dark';
  /** Side of the square the ink's box is scaled to fit (default 20, as MNIST). */
  fitSize?: number;
  /** Also return the cleaned page (`page`), e.g. to show why an image was read as it was. */
  keepPage?: boolean;
}
