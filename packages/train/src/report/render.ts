import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** What vega-lite and vega warned about while rendering (a spec to fix), most recent last, at most 100. */
const warnings: string[] = [];

/** Keeps the libraries' warnings off the terminal: `cnnx` prints only its own lines. */
const warningLogger = vega.logger(vega.Warn, undefined, (_method, level, args) => {
  if (warnings.length >= 100) warnings.shift();
  warnings.push(`${level} ${args.map(String).join(' ')}`);
});

/**
 * The warnings vega-lite and vega gave while this process rendered figures (none for sound specs; the
 * report tests check that none appear).
 *
 * @example
 * await writePredictionReport('runs/predict', items);
 * renderWarnings(); // → []
 */
export function renderWarnings(): readonly string[] {
  return warnings;
}

/**
 * Compiles a Vega-Lite spec and renders it to an SVG string on the server (vega's headless view); the
 * libraries' warnings go to {@link renderWarnings}, not to the console.
 *
 * @example
 * const svg = await renderSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point',
 *   encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
 * svg.startsWith('<svg'); // true
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec, { logger: warningLogger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger: warningLogger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Rasterises an SVG string to PNG with sharp (librsvg), at `density` dots per inch (96 = 1:1).
 *
 * @example
 * const png = await svgToPng(svg); // Uint8Array starting with the PNG signature
 */
export async function svgToPng(svg: string, density = 144): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density }).png().toBuffer();
}

/** Writes a file through a temporary name and renames it into place (see `@cnnx/data`). */
export { writeFileAtomic as writeAtomic } from '@cnnx/data';
