// Headless rendering of vega-lite specs to SVG text in Node: compile to vega, run the dataflow
// with no renderer attached, serialise the scenegraph. No canvas is needed (vega estimates text
// widths from the font size). Any warning or error vega reports is treated as a bug in the spec.
// No module of Node.js is imported at load time: figures.ts, which imports this one, is also the
// dashboard's page's source of its charts, in the browser (src/dashboard/page/charts.ts).
import type { LoggerInterface } from 'vega';
import type { TopLevelSpec } from 'vega-lite';

// vega's log levels (vega-util: None 0, Error 1, Warn 2, Info 3, Debug 4)
const ERROR = 1;
const WARN = 2;

/**
 * vega and vega-lite are loaded on first use, not at import time: vega-canvas (inside vega) uses
 * top-level await, which cannot be require()d, and `uvu -r tsx` loads test files with require().
 * A dynamic import() goes through Node's ESM loader and works in both settings.
 */
async function loadVega() {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  return { vega, compile: vegaLite.compile };
}

/**
 * A vega/vega-lite logger that records warnings and errors instead of printing them, so that a
 * figure either renders cleanly or fails loudly (vega itself swallows dataflow errors after
 * logging them, which would otherwise leave an empty plot and a line on stderr).
 * Built from closures, not a class: vega calls the methods with `this` bound to the view.
 */
function recordingLogger(): LoggerInterface & { messages: string[] } {
  const messages: string[] = [];
  let level = WARN;
  const logger = {
    messages,
    level(next?: number) {
      if (next === undefined) return level;
      level = next;
      return logger;
    },
    error(...args: unknown[]) {
      if (level >= ERROR) messages.push(`error: ${args.map(describe).join(' ')}`);
      return logger;
    },
    warn(...args: unknown[]) {
      if (level >= WARN) messages.push(`warning: ${args.map(describe).join(' ')}`);
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger as LoggerInterface & { messages: string[] };
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
  const { vega, compile } = await loadVega();
  const logger = recordingLogger();
  const vgSpec = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logger, logLevel: WARN });
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
  const { writeFileAtomic } = await import('../io/atomic.ts');
  await writeFileAtomic(path, svg);
}

let resvg: typeof import('@resvg/resvg-js') | null | undefined;

/**
 * Writes a PNG (2×) of an SVG beside it (`loss.svg` → `loss.png`) where @resvg/resvg-js loads (a
 * dependency with prebuilt binaries; a platform without one gets the SVG alone). Returns the PNG's
 * path, or null when none could be written.
 */
export async function writePngBeside(svgPath: string, svg: string): Promise<string | null> {
  if (resvg === undefined) {
    try {
      resvg = await import('@resvg/resvg-js');
    } catch {
      resvg = null;
    }
  }
  if (!resvg) return null;
  const png = new resvg.Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  const pngPath = svgPath.replace(/\.svg$/, '') + '.png';
  const { writeFileAtomic } = await import('../io/atomic.ts');
  await writeFileAtomic(pngPath, png);
  return pngPath;
}
