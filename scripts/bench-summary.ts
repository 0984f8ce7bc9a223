// Collects every workspace's bench/results/*.json into bench/results.json and bench/results.md,
// with each measure's change against the previous bench/results.json.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Measure {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  goal: number | null;
  better?: 'higher' | 'lower';
  goalOn?: 'ratio' | 'value';
}

const measures: (Measure & { workspace: string })[] = [];
for (const group of ['libs', 'services', 'tools']) {
  for (const ws of existsSync(group) ? readdirSync(group) : []) {
    const dir = join(group, ws, 'bench', 'results');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { measures?: Measure[] };
      for (const m of data.measures ?? []) measures.push({ ...m, workspace: `${group}/${ws}` });
    }
  }
}
mkdirSync('bench', { recursive: true });
const previousFile = join('bench', 'results.json');
const previous = existsSync(previousFile) ? (JSON.parse(readFileSync(previousFile, 'utf8')) as { measures: Measure[] }).measures : [];
if (existsSync(previousFile)) renameSync(previousFile, join('bench', 'results.previous.json'));
const before = new Map(previous.map((m) => [m.name, m.value]));
const at = new Date().toISOString();
writeFileSync(previousFile, JSON.stringify({ at, measures }, null, 2));
const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(3));
const rows = measures.map((m) => {
  const prev = before.get(m.name);
  const change = prev ? `${(((m.value - prev) / prev) * 100).toFixed(1)} %` : '–';
  // A goal is a floor on the ratio (or the value when there is no baseline or `goalOn: 'value'`), or a ceiling on the value for `better: 'lower'`.
  const floorOf = m.goalOn === 'value' ? m.value : (m.ratio ?? m.value);
  const met = m.goal === null ? '' : (m.better === 'lower' ? m.value <= m.goal : floorOf >= m.goal) ? 'yes' : 'no';
  return `| ${m.name} | ${fmt(m.value)} ${m.unit} | ${fmt(m.baseline)} | ${fmt(m.ratio)} | ${fmt(m.goal)} | ${met} | ${change} | ${m.workspace} |`;
});
const md = [`# Bench results (${at})`, '', '| measure | value | baseline | ratio | goal | met | change | workspace |', '|---|---|---|---|---|---|---|---|', ...rows, ''].join('\n');
writeFileSync(join('bench', 'results.md'), md);
console.log(md);
