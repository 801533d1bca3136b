// The dashboard's one HTML page: its frame and style; what is inside is drawn by its scripts
// (src/dashboard/page/, compiled with the package) from the JSON API.

const STYLE = `
:root { --fg: #1d232b; --muted: #5f6b7a; --line: #d9dee5; --bg: #f6f7f9; --accent: #1f77b4; --diff: #fff1c2; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 24px; align-items: center; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 2; }
header strong { font-size: 16px; }
nav a { margin-right: 16px; color: var(--muted); text-decoration: none; font-weight: 500; }
nav a.active { color: var(--accent); border-bottom: 2px solid var(--accent); }
#live { margin-left: auto; color: var(--muted); font-size: 12px; }
#live.off { color: #c0392b; }
main { padding: 16px 20px 40px; }
h1 { font-size: 18px; margin: 4px 0 12px; }
h2 { font-size: 15px; margin: 20px 0 8px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin-bottom: 14px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); cursor: default; user-select: none; }
th[data-sort] { cursor: pointer; }
th.sorted::after { content: " ▾"; }
th.sorted.asc::after { content: " ▴"; }
td.num, th.num { text-align: right; }
tr:hover td { background: #f0f4f8; }
tr.differs td { background: var(--diff); }
.scroll { overflow-x: auto; }
.status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.status.running { background: #dbeafe; color: #1e4f8f; }
.status.finished { background: #dcfce7; color: #166534; }
.status.interrupted { background: #fef3c7; color: #92400e; }
.status.failed { background: #fee2e2; color: #991b1b; }
.status.pending { background: #eceff3; color: #5f6b7a; }
.problems { background: #fff7ed; border: 1px solid #fdba74; border-radius: 6px; padding: 8px 12px; margin: 8px 0; color: #7c2d12; }
.problems li { font-family: ui-monospace, monospace; font-size: 12px; }
.warn { color: #c2410c; cursor: help; }
.controls { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; margin-bottom: 8px; color: var(--muted); }
.controls input[type=search] { padding: 5px 8px; border: 1px solid var(--line); border-radius: 4px; min-width: 260px; }
.chart { min-height: 60px; overflow-x: auto; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; }
.figures figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 6px; }
.figures figcaption { font-size: 12px; color: var(--muted); margin-bottom: 4px; }
.figures img { max-width: 560px; display: block; }
.side { display: grid; gap: 12px; }
.side figure { margin: 0; }
.side img { width: 100%; }
.muted { color: var(--muted); }
button { padding: 4px 10px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
a { color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
`;

/** The page: scripts from this server only (the app's modules; they load vega's builds for the first chart). */
export function pageHtml(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>neural-mfg dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
<script type="module" src="/app/dashboard/page/main.js"></script>
</head>
<body>
<header><strong>neural-mfg</strong><nav>
<a href="#/" data-view="runs">Runs</a><a href="#/compare" data-view="compare">Compare</a><a href="#/sweeps" data-view="sweeps">Sweeps</a><a href="#/forecasts" data-view="forecasts">Forecasts</a>
</nav><span id="live" title="live updates">connecting…</span><span class="muted">v${version}</span></header>
<main id="view"><p class="muted">Loading…</p></main>
</body>
</html>
`;
}
