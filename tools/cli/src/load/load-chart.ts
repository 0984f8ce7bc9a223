import type { LoadStep } from './load-steps.ts';

const W = 420;
const H = 300;
const PAD = { left: 60, right: 20, top: 34, bottom: 44 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= v)!;
}

/** One line chart panel at (x0, 0): series over a linear x and y axis from 0, with 5 ticks each. */
function panel(x0: number, title: string, xLabel: string, yLabel: string, series: Series[], extra = ''): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = niceMax(Math.max(0, ...xs));
  const yMax = niceMax(Math.max(0, ...ys));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const X = (x: number) => x0 + PAD.left + (x / xMax) * iw;
  const Y = (y: number) => PAD.top + ih - (Math.min(y, yMax) / yMax) * ih;
  const out: string[] = [`<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  for (let i = 0; i <= 5; i++) {
    const yv = (yMax * i) / 5;
    const xv = (xMax * i) / 5;
    out.push(`<line x1="${X(0)}" y1="${Y(yv)}" x2="${X(xMax)}" y2="${Y(yv)}" stroke="#ddd"/>`);
    out.push(`<text x="${X(0) - 6}" y="${Y(yv) + 4}" text-anchor="end">${+yv.toPrecision(3)}</text>`);
    out.push(`<text x="${X(xv)}" y="${Y(0) + 16}" text-anchor="middle">${+xv.toPrecision(3)}</text>`);
  }
  out.push(`<text x="${X(xMax / 2)}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text x="${x0 + 14}" y="${PAD.top + ih / 2}" text-anchor="middle" transform="rotate(-90 ${x0 + 14} ${PAD.top + ih / 2})">${esc(yLabel)}</text>`);
  out.push(extra.replace(/\{X:([\d.]+)\}/g, (_, v: string) => String(X(Number(v)))).replace(/\{Y0\}/g, String(Y(0))).replace(/\{YT\}/g, String(Y(yMax))));
  series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${s.color}"/>`);
    out.push(`<rect x="${X(0) + 8}" y="${PAD.top + 6 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${X(0) + 22}" y="${PAD.top + 15 + i * 16}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/**
 * The load test as an SVG: offered vs acked events/s, and e2e p50/p99 against the offered load,
 * with the sustainable rate marked by a dashed line.
 */
export function loadChartSvg(steps: LoadStep[], sustainable: number): string {
  const ladder = [...steps].sort((a, b) => a.rate - b.rate);
  const mark = sustainable > 0 ? `<line x1="{X:${sustainable}}" y1="{Y0}" x2="{X:${sustainable}}" y2="{YT}" stroke="#2a2" stroke-dasharray="4 3"/>` : '';
  const left = panel(0, 'Offered vs acked', 'offered events/s', 'events/s', [
    { name: 'offered', color: '#999', points: ladder.map((s) => [s.rate, s.rate]) },
    { name: 'acked', color: '#1f77b4', points: ladder.map((s) => [s.rate, s.ackedPerSec]) },
  ], mark);
  const right = panel(W, `End-to-end latency (sustainable: ${sustainable} events/s)`, 'offered events/s', 'ms', [
    { name: 'p50', color: '#1f77b4', points: ladder.filter((s) => s.e2e.p50Ms !== undefined).map((s) => [s.rate, s.e2e.p50Ms!]) },
    { name: 'p99', color: '#d62728', points: ladder.filter((s) => s.e2e.p99Ms !== undefined).map((s) => [s.rate, s.e2e.p99Ms!]) },
  ], mark);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${left}\n${right}\n</svg>\n`;
}
