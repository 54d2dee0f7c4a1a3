// Digits written as pen strokes, the way a person draws them, in pad coordinates from 0 to 1 (y down).

export type Stroke = [x: number, y: number][];

function arc(cx: number, cy: number, rx: number, ry: number, from: number, to: number, steps = 20): Stroke {
  const points: Stroke = [];
  for (let i = 0; i <= steps; i++) {
    const angle = ((from + ((to - from) * i) / steps) * Math.PI) / 180;
    points.push([cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)]);
  }
  return points;
}

function line(from: [number, number], to: [number, number], steps = 10): Stroke {
  const points: Stroke = [];
  for (let i = 0; i <= steps; i++) {
    points.push([from[0] + ((to[0] - from[0]) * i) / steps, from[1] + ((to[1] - from[1]) * i) / steps]);
  }
  return points;
}

/** Each digit as the strokes a person would draw, one array of points per pen-down. */
export const DIGIT_STROKES: Record<string, Stroke[]> = {
  '0': [arc(0.5, 0.5, 0.19, 0.3, -90, 275, 32)],
  '1': [line([0.53, 0.2], [0.47, 0.8])],
  '2': [
    [
      ...arc(0.5, 0.36, 0.18, 0.16, 190, 380, 14),
      ...line([0.66, 0.43], [0.32, 0.8], 8).slice(1),
      ...line([0.32, 0.8], [0.72, 0.8], 6).slice(1),
    ],
  ],
  '3': [
    [...arc(0.48, 0.34, 0.17, 0.14, 200, 450, 14), ...arc(0.48, 0.64, 0.19, 0.16, -90, 160, 14).slice(1)],
  ],
  '4': [
    [...line([0.52, 0.2], [0.3, 0.58], 8), ...line([0.3, 0.58], [0.72, 0.58], 8).slice(1)],
    line([0.6, 0.36], [0.6, 0.82]),
  ],
  '7': [[...line([0.3, 0.22], [0.7, 0.22], 8), ...line([0.7, 0.22], [0.44, 0.8], 10).slice(1)]],
};
