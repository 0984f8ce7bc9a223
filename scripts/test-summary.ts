// Sums every workspace's jest JSON reports (test-results.json from `npm test`,
// test-results.platformatic.json from its second-client run, and test-results.compose.json from
// `npm run compose:test`) into the one line CI reads:
// `tests: N passed, N failed`. A suite that failed to run counts as one failed test.
// `--only <report>` sums that one report (a missing report is one failure). With
// `--every-workspace`, a workspace that has a test script but wrote no report (its jest could not
// even start) counts as one failure too, named on stderr.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

interface JestReport {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
  numPendingTests: number;
}

const reportNames = ['test-results.json', 'test-results.platformatic.json', 'test-results.compose.json'];

function reportFiles(): string[] {
  const only = process.argv.indexOf('--only');
  if (only >= 0) return [process.argv[only + 1] ?? ''];
  const files: string[] = [];
  for (const group of ['libs', 'services', 'tools']) {
    if (!existsSync(group)) continue;
    for (const name of readdirSync(group)) {
      for (const report of reportNames) {
        const file = join(group, name, report);
        if (existsSync(file)) files.push(file);
      }
    }
  }
  return files;
}

/** Workspaces with a `test` script and no test-results.json: their tests never ran. */
function silentWorkspaces(): string[] {
  const silent: string[] = [];
  for (const group of ['libs', 'services', 'tools']) {
    if (!existsSync(group)) continue;
    for (const name of readdirSync(group)) {
      const manifest = join(group, name, 'package.json');
      if (!existsSync(manifest)) continue;
      const scripts = (JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
      if (scripts.test && !existsSync(join(group, name, 'test-results.json'))) silent.push(`${group}/${name}`);
    }
  }
  return silent;
}

let passed = 0;
let failed = 0;
if (process.argv.includes('--every-workspace')) {
  for (const ws of silentWorkspaces()) {
    console.error(`no test report from ${ws}: its tests did not run (counted as one failure)`);
    failed += 1;
  }
}
let reports = 0;
let skipped = 0;
for (const file of reportFiles()) {
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8')) as JestReport;
  reports += 1;
  passed += report.numPassedTests;
  failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  skipped += report.numPendingTests;
}
if (reports === 0) failed += 1;
if (skipped > 0)
  console.log(`skipped: ${skipped} (each skipped test states its reason in its name)`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
