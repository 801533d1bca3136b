// Headless rendering of vega-lite specs to SVG text in Node: compile to vega, run the dataflow
// with no renderer attached, serialise the scenegraph. No canvas is needed (vega estimates text
// widths from the font size). Any warning or error vega reports is treated as a bug in the spec.
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * A vega/vega-lite logger that records warnings and errors instead of printing them, so that a
 * figure either renders cleanly or fails loudly (vega itself swallows dataflow errors after
 * logging them, which would otherwise leave an empty plot and a line on stderr).
 */
class RecordingLogger implements vega.LoggerInterface {
  readonly messages: string[] = [];
  private _level: number = vega.Warn;

  level(): number;
  level(level: number): this;
  level(level?: number): number | this {
    if (level === undefined) return this._level;
    this._level = level;
    return this;
  }
  error(...args: unknown[]): this {
    if (this._level >= vega.Error) this.messages.push(`error: ${args.map(describe).join(' ')}`);
    return this;
  }
  warn(...args: unknown[]): this {
    if (this._level >= vega.Warn) this.messages.push(`warning: ${args.map(describe).join(' ')}`);
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
}

function describe(arg: unknown): string {
  return arg instanceof Error ? arg.message : String(arg);
}

/**
 * Returns the SVG text of a vega-lite figure. Asynchronous because vega's dataflow and its
 * `toSVG` are (there is no synchronous public path).
 *
 * ```ts
 * const svg = await renderSvg({ data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } });
 * ```
 * @throws Error listing every warning or error vega-lite or vega reported.
 */
export async function renderSvg(spec: TopLevelSpec, what = 'figure'): Promise<string> {
  const logger = new RecordingLogger();
  const vgSpec = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logger, logLevel: vega.Warn });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (logger.messages.length > 0) {
    throw new Error(`vega reported problems while rendering the ${what}:\n  ${logger.messages.join('\n  ')}`);
  }
  return svg;
}

/** Write an SVG file atomically (temp file + rename), creating the folder. */
export async function writeSvg(path: string, svg: string): Promise<void> {
  if (typeof svg !== 'string' || !svg.trimStart().startsWith('<svg')) {
    throw new Error(`writeSvg(${path}): svg must be SVG text starting with "<svg"`);
  }
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    await writeFile(temp, svg, 'utf8');
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
