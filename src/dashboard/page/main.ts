// The dashboard's page: a hash route per view (#/ runs, #/run/NAME, #/compare?run=A&run=B,
// #/sweeps, #/sweep/NAME, #/forecasts, #/forecast/NAME), the run list loaded once and kept live.
import { loadRuns } from './data.ts';
import { h, fill } from './dom.ts';
import { compareView } from './compare-view.ts';
import { forecastView } from './forecast-view.ts';
import { runView } from './run-view.ts';
import { runsView } from './runs-view.ts';
import { sweepView } from './sweep-view.ts';

const main = document.getElementById('view')!;
let leave: () => void = () => {};

function route(): void {
  leave();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const [, view = '', ...rest] = path.split('/');
  const name = decodeURIComponent(rest.join('/'));
  const tab = { '': 'runs', run: 'runs', compare: 'compare', sweeps: 'sweeps', sweep: 'sweeps', forecasts: 'forecasts', forecast: 'forecasts' }[view] ?? 'runs';
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', (a as HTMLElement).dataset.view === tab);
  fill(main);
  if (view === 'run' && name) leave = runView(main, name);
  else if (view === 'compare') leave = compareView(main, new URLSearchParams(query).getAll('run'));
  else if (view === 'sweeps') leave = runsView(main, ['sweep', 'analysis'], 'Sweeps and analyses');
  else if (view === 'sweep' && name) leave = sweepView(main, name);
  else if (view === 'forecasts') leave = runsView(main, ['forecast'], 'Forecasts');
  else if (view === 'forecast' && name) leave = forecastView(main, name);
  else leave = runsView(main, null, 'Runs');
  document.body.dataset.view = view || 'runs';
}

window.addEventListener('hashchange', route);
loadRuns()
  .then(route)
  .catch((err: Error) => fill(main, h('p', { className: 'problems' }, `Cannot reach the dashboard's server: ${err.message}`)));
