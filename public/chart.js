// The failure chart: one stacked bar per step (traffic, file, e-mail), drawn
// as plain SVG. Labels are HTML around it, so the SVG may stretch to any width.
import { $, el, formatCount, setText, svg } from './dom.js';

/** The page's windows: each with a step that gives 16 to 61 bars (the API allows up to 1440). */
export const WINDOWS = {
  '15m': { ms: 15 * 60e3, step: '1m', text: 'the last 15 minutes', stepText: 'minute' },
  '1h': { ms: 3600e3, step: '1m', text: 'the last hour', stepText: 'minute' },
  '24h': { ms: 24 * 3600e3, step: '30m', text: 'the last 24 hours', stepText: 'half hour' },
  '7d': { ms: 7 * 24 * 3600e3, step: '6h', text: 'the last 7 days', stepText: '6 hours' },
};
export const KINDS = [
  ['traffic', 'traffic'],
  ['file', 'file'],
  ['email', 'e-mail'],
];
const WIDTH = 600;
const HEIGHT = 160;

/** The smallest of 1, 2, 5, 10, 20, 50, … that is at least `n`. */
function niceMax(n) {
  for (let scale = 1; ; scale *= 10) for (const m of [1, 2, 5]) if (m * scale >= n) return m * scale;
}

function timeLabel(date, windowKey) {
  const options = WINDOWS[windowKey].ms >= 864e5 ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
  return date.toLocaleString(undefined, options);
}

function kindsText(counts) {
  return KINDS.map(([key, name]) => `${formatCount(counts[key])} ${name}`).join(', ');
}

function bar(point, index, slot, scale, windowKey) {
  const group = svg('g', {}, svg('title', {}, `${timeLabel(new Date(point.at), windowKey)}: ${point.count} (${kindsText(point)})`));
  let top = HEIGHT;
  for (const [key] of KINDS) {
    if (!point[key]) continue;
    const height = point[key] * scale;
    top -= height;
    group.append(svg('rect', { class: `k-${key}`, x: index * slot + slot * 0.1, y: top, width: slot * 0.8, height }));
  }
  return group;
}

function renderTable(series, windowKey) {
  const rows = series.points.map((point) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, timeLabel(new Date(point.at), windowKey)),
      ...[...KINDS.map(([key]) => point[key]), point.count].map((n) => el('td', { className: 'num' }, formatCount(n))),
    ),
  );
  $('chart-rows').replaceChildren(...rows);
}

/** Draws the series and writes its totals and summary; `windowKey` is one of WINDOWS. */
export function renderSeries(series, windowKey) {
  const { ms, text, stepText } = WINDOWS[windowKey];
  const totals = { traffic: 0, file: 0, email: 0 };
  let busiest = null;
  for (const point of series.points) {
    for (const [key] of KINDS) totals[key] += point[key];
    if (point.count > 0 && (!busiest || point.count >= busiest.count)) busiest = point;
  }
  setText($('failure-count'), formatCount(series.total));
  for (const [key] of KINDS) setText($(`legend-${key}`), formatCount(totals[key]));

  const max = niceMax(Math.max(1, ...series.points.map((p) => p.count)));
  const slot = WIDTH / Math.max(1, series.points.length);
  const scale = HEIGHT / max;
  $('failure-chart').replaceChildren(
    svg('line', { class: 'grid', x1: 0, x2: WIDTH, y1: HEIGHT / 2, y2: HEIGHT / 2, 'vector-effect': 'non-scaling-stroke' }),
    ...series.points.map((point, i) => (point.count ? bar(point, i, slot, scale, windowKey) : null)).filter(Boolean),
    svg('line', { class: 'axis', x1: 0, x2: WIDTH, y1: HEIGHT, y2: HEIGHT, 'vector-effect': 'non-scaling-stroke' }),
  );
  setText($('chart-max'), formatCount(max));
  const asOf = new Date(series.asOf);
  setText($('chart-from'), timeLabel(new Date(asOf.getTime() - ms), windowKey));
  setText($('chart-to'), `now, ${timeLabel(asOf, windowKey)}`);

  const peak = busiest ? `Busiest ${stepText}: ${timeLabel(new Date(busiest.at), windowKey)}, with ${formatCount(busiest.count)}.` : '';
  const summary =
    series.total === 0
      ? `No failures in ${text}.`
      : `${formatCount(series.total)} failures in ${text}: ${kindsText(totals)}. ${peak}`;
  setText($('chart-summary'), `Failures per ${stepText}, stacked by kind. ${summary}`);
  $('chart-empty').hidden = series.total !== 0;
  setText($('chart-empty'), `No failures in ${text}.`);
  if ($('chart-table').open) renderTable(series, windowKey);
  return summary;
}

/** Empties the chart (signed out, or a new window on its way). */
export function clearSeries(windowKey) {
  setText($('failure-count'), null);
  for (const [key] of KINDS) setText($(`legend-${key}`), null);
  $('failure-chart').replaceChildren();
  for (const id of ['chart-max', 'chart-from', 'chart-to']) $(id).textContent = '';
  $('chart-empty').hidden = true;
  $('chart-summary').textContent = `Failures in ${WINDOWS[windowKey].text}: not loaded.`;
  $('chart-rows').replaceChildren();
}

export { renderTable };
