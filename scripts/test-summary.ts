// Sums every workspace's jest JSON report (test-results.json) into the one line CI reads:
// `tests: N passed, N failed`. A suite that failed to run counts as one failed test.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

interface JestReport {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
  numPendingTests: number;
}

let passed = 0;
let failed = 0;
let reports = 0;
let skipped = 0;
for (const group of ['libs', 'services', 'tools']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const file = join(group, name, 'test-results.json');
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8')) as JestReport;
    reports += 1;
    passed += report.numPassedTests;
    failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
    skipped += report.numPendingTests;
  }
}
if (reports === 0) failed += 1;
if (skipped > 0) console.log(`skipped: ${skipped} (each skipped test states its reason in its name)`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
