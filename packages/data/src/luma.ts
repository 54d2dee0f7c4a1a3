/*
 * Colour → gray, the one definition cnnx uses everywhere (datasets, digit preparation, the runtime's
 * pixels): ITU-R BT.601 luma, with transparency seen over white paper.
 */

/**
 * The gray value of one RGB pixel (BT.601 luma: 0.299 R + 0.587 G + 0.114 B), 0-255 in, 0-255 out,
 * not rounded.
 *
 * @example
 * luma(255, 255, 255); // 255
 * luma(255, 0, 0);     // 76.245
 */
export function luma(red: number, green: number, blue: number): number {
  return 0.299 * red + 0.587 * green + 0.114 * blue;
}

/**
 * A gray value behind `alpha` (0-255) as it looks on white paper: transparent pixels turn white.
 *
 * @example
 * onWhite(0, 255); // 0 (opaque black)
 * onWhite(0, 0);   // 255 (fully transparent: the paper)
 */
export function onWhite(gray: number, alpha: number): number {
  const opacity = alpha / 255;
  return gray * opacity + 255 * (1 - opacity);
}
