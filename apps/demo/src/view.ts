/**
 * The index and probability of the most likely class.
 *
 * @example
 * topClass(new Float32Array([0.1, 0.7, 0.2])); // { index: 1, probability: 0.7 }
 */
export function topClass(probabilities: ArrayLike<number>): { index: number; probability: number } {
  let index = 0;
  for (let i = 1; i < probabilities.length; i++) {
    if ((probabilities[i] ?? 0) > (probabilities[index] ?? 0)) index = i;
  }
  return { index, probability: probabilities[index] ?? 0 };
}

/**
 * Paints 28×28 (or any size) gray pixels onto a canvas of the same size; CSS scales it up without smoothing.
 *
 * @example
 * paintPixels(previewCanvas, prepared.pixels, 28, 28);
 */
export function paintPixels(
  canvas: HTMLCanvasElement,
  pixels: Uint8Array,
  width: number,
  height: number,
): void {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (context === null) return;
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const value = pixels[i] ?? 0;
    image.data[i * 4] = value;
    image.data[i * 4 + 1] = value;
    image.data[i * 4 + 2] = value;
    image.data[i * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/**
 * Builds the bar chart's rows once, one per class; `updateBars` then only changes widths and numbers.
 *
 * @example
 * createBars(list, ['0', '1', '2']); // three <li> rows
 */
export function createBars(list: HTMLElement, classNames: string[]): void {
  list.replaceChildren(
    ...classNames.map((name, index) => {
      const row = document.createElement('li');
      row.className = 'bar-row';
      row.dataset.index = String(index);
      const label = document.createElement('span');
      label.className = 'bar-label';
      label.textContent = name;
      const track = document.createElement('span');
      track.className = 'bar-track';
      const fill = document.createElement('span');
      fill.className = 'bar-fill';
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'bar-value';
      value.textContent = '–';
      row.append(label, track, value);
      return row;
    }),
  );
}

/**
 * Formats a probability as a percentage with one decimal.
 *
 * @example
 * percent(0.9876); // '98.8%'
 */
export function percent(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
}

/**
 * Sets each bar's width and number from the class probabilities, and marks the top class.
 *
 * @example
 * updateBars(list, new Float32Array([0.1, 0.9])); // second row 90.0%, marked as the top class
 */
export function updateBars(list: HTMLElement, probabilities: ArrayLike<number> | null): void {
  const top = probabilities === null ? -1 : topClass(probabilities).index;
  for (const row of list.querySelectorAll<HTMLElement>('.bar-row')) {
    const index = Number(row.dataset.index);
    const probability = probabilities === null ? 0 : (probabilities[index] ?? 0);
    const fill = row.querySelector<HTMLElement>('.bar-fill');
    const value = row.querySelector<HTMLElement>('.bar-value');
    if (fill) fill.style.width = `${(probability * 100).toFixed(2)}%`;
    if (value) value.textContent = probabilities === null ? '–' : percent(probability);
    row.classList.toggle('is-top', index === top);
  }
}
