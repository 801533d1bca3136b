// Figures as files: the SVG text vega renders, and a PNG beside it where @resvg/resvg-js loads
// (an optional dependency; without it the SVG alone is written).
import { writeFileAtomic } from '../io/atomic.ts';
import { writeSvg } from './render.ts';

let resvg: typeof import('@resvg/resvg-js') | null | undefined;

/** Writes STEM.svg and, where @resvg/resvg-js loads, STEM.png (2×); returns the files written. */
export async function writeFigure(stem: string, svg: string): Promise<string[]> {
  await writeSvg(`${stem}.svg`, svg);
  if (resvg === undefined) {
    try {
      resvg = await import('@resvg/resvg-js');
    } catch {
      resvg = null;
    }
  }
  if (!resvg) return [`${stem}.svg`];
  const png = new resvg.Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  await writeFileAtomic(`${stem}.png`, png);
  return [`${stem}.svg`, `${stem}.png`];
}
