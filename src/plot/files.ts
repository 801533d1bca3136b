// Figures as files: the SVG text vega renders, and a PNG beside it where @resvg/resvg-js loads
// (an optional dependency; without it the SVG alone is written).
import { writePngBeside, writeSvg } from './render.ts';

/** Writes STEM.svg and, where @resvg/resvg-js loads, STEM.png (2×); returns the files written. */
export async function writeFigure(stem: string, svg: string): Promise<string[]> {
  await writeSvg(`${stem}.svg`, svg);
  const png = await writePngBeside(`${stem}.svg`, svg);
  return png ? [`${stem}.svg`, png] : [`${stem}.svg`];
}
