/** One line of a {@link lineChartSvg}: points as [x, y]. */
export interface ChartSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  /** CSS colour; a palette colour by default. */
  color?: string;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Escapes text for an SVG text node or attribute. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [0, max]. */
function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

const label = (v: number) => (Math.abs(v) >= 1e6 ? `${v / 1e6}M` : Math.abs(v) >= 1e4 ? `${v / 1e3}k` : String(v));

/**
 * A dependency-free SVG line chart (axes from 0, round ticks, a legend), enough for a bench or a
 * run report to show a rate, a lag or a concurrency over time in any browser.
 *
 * @example
 * writeFileSync('lag.svg', lineChartSvg({ title: 'lag', xLabel: 's', yLabel: 'records', series: [{ name: 'lag', points }] }));
 */
export function lineChartSvg(o: LineChartOptions): string {
  const width = o.width ?? 800;
  const height = o.height ?? 400;
  const m = { left: 70, right: 20, top: 40, bottom: 50 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.points);
  const xt = ticks(Math.max(0, ...all.map((p) => p[0])));
  const yt = ticks(Math.max(0, ...all.map((p) => p[1])));
  const xMax = xt[xt.length - 1]!;
  const yMax = yt[yt.length - 1]!;
  const sx = (x: number) => m.left + (x / xMax) * pw;
  const sy = (y: number) => m.top + ph - (y / yMax) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
  ];
  for (const y of yt) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${label(y)}</text>`);
  }
  for (const x of xt) {
    parts.push(`<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    parts.push(`<text x="${sx(x).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle">${label(x)}</text>`);
  }
  parts.push(`<polyline points="${m.left},${m.top} ${m.left},${m.top + ph} ${m.left + pw},${m.top + ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${esc(o.yLabel)}</text>`);
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    const ly = m.top + 4 + i * 16;
    parts.push(`<line x1="${m.left + pw - 150}" x2="${m.left + pw - 130}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${m.left + pw - 125}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
