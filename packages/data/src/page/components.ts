/** One 8-connected group of ink pixels. */
export interface Component {
  /** Pixels in the group. */
  area: number;
  /** Sum of the ink strength of its pixels. */
  mass: number;
  left: number;
  top: number;
  /** Exclusive. */
  right: number;
  /** Exclusive. */
  bottom: number;
  /** How many of its pixels lie on the frame's edge. */
  edgePixels: number;
}

/**
 * Labels the 8-connected groups of set pixels of `mask`: `labels` holds each pixel's group index, -1 for
 * pixels not in the mask; `components` describes each group (`ink` gives the mass).
 *
 * @example
 * labelComponents(Uint8Array.of(1, 0, 1), 3, 1, Float32Array.of(1, 0, 0.5)).components.map((c) => c.mass);
 * // [1, 0.5]
 */
export function labelComponents(
  mask: Uint8Array,
  width: number,
  height: number,
  ink: Float32Array,
): { labels: Int32Array; components: Component[] } {
  const labels = new Int32Array(width * height).fill(-1);
  const components: Component[] = [];
  const stack = new Int32Array(width * height);
  for (let start = 0; start < mask.length; start += 1) {
    if (!mask[start] || labels[start] !== -1) continue;
    const id = components.length;
    const component: Component = {
      area: 0,
      mass: 0,
      left: width,
      top: height,
      right: 0,
      bottom: 0,
      edgePixels: 0,
    };
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    while (top > 0) {
      const index = stack[--top]!;
      const x = index % width;
      const y = (index - x) / width;
      component.area += 1;
      component.mass += ink[index]!;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) component.edgePixels += 1;
      if (x < component.left) component.left = x;
      if (x >= component.right) component.right = x + 1;
      if (y < component.top) component.top = y;
      if (y >= component.bottom) component.bottom = y + 1;
      for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny += 1) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx += 1) {
          const next = ny * width + nx;
          if (mask[next] && labels[next] === -1) {
            labels[next] = id;
            stack[top++] = next;
          }
        }
      }
    }
    components.push(component);
  }
  return { labels, components };
}

/**
 * Which components make up the digit: the one with the most ink, weighted towards the frame's centre and
 * away from its edges (page edges, a desk, a shadow's rim), then every component close to that group that
 * holds a fair share of ink (a 5's hat, a 7's bar, a pencil stroke broken by the paper's grain). Specks and
 * far-away marks are left out. Returns one flag per component.
 *
 * @example
 * const keep = pickDigit(labelComponents(mask, width, height, ink).components, width, height);
 * // Uint8Array [1, 1, 0]: the digit and its separate hat, not the speck in the corner
 */
export function pickDigit(components: readonly Component[], width: number, height: number): Uint8Array {
  const keep = new Uint8Array(components.length);
  if (components.length === 0) return keep;
  const centreX = width / 2;
  const centreY = height / 2;
  const reach = Math.hypot(width, height) / 2;
  // a mark that runs along the frame's edge for a tenth of its side is the page's edge, a desk or a shadow
  const longEdge = 0.1 * Math.min(width, height);
  const score = (component: Component): number => {
    const x = (component.left + component.right) / 2;
    const y = (component.top + component.bottom) / 2;
    const distance = Math.hypot(x - centreX, y - centreY) / reach;
    const central = Math.exp(-2 * distance * distance);
    const edge = component.edgePixels === 0 ? 1 : component.edgePixels < longEdge ? 0.15 : 0.001;
    return component.mass * central * edge;
  };
  let main = 0;
  for (let i = 1; i < components.length; i += 1) {
    if (score(components[i]!) > score(components[main]!)) main = i;
  }
  keep[main] = 1;
  const first = components[main]!;
  const box = { left: first.left, top: first.top, right: first.right, bottom: first.bottom };
  const order = components
    .map((component, index) => ({ component, index }))
    .sort((a, b) => b.component.mass - a.component.mass);
  for (let grown = true; grown; ) {
    grown = false;
    const size = Math.max(box.right - box.left, box.bottom - box.top);
    for (const { component, index } of order) {
      if (keep[index]) continue;
      if (component.mass < 0.02 * first.mass && component.area < 0.02 * first.area) continue;
      // the same pen: printed lines' leftovers and paper texture are fainter than the digit's ink
      if (component.mass / component.area < 0.4 * (first.mass / first.area)) continue;
      if (component.edgePixels >= longEdge) continue;
      if (component.edgePixels > 0 && first.edgePixels === 0) continue;
      const gapX = Math.max(0, box.left - component.right, component.left - box.right);
      const gapY = Math.max(0, box.top - component.bottom, component.top - box.bottom);
      if (Math.hypot(gapX, gapY) > 0.25 * size) continue;
      // a mark as large as the digit beside it is another mark, not one of its strokes
      const width = Math.max(box.right, component.right) - Math.min(box.left, component.left);
      const height = Math.max(box.bottom, component.bottom) - Math.min(box.top, component.top);
      if (Math.max(width, height) > 1.8 * size && component.mass > 0.3 * first.mass) continue;
      keep[index] = 1;
      box.left = Math.min(box.left, component.left);
      box.top = Math.min(box.top, component.top);
      box.right = Math.max(box.right, component.right);
      box.bottom = Math.max(box.bottom, component.bottom);
      grown = true;
    }
  }
  return keep;
}
