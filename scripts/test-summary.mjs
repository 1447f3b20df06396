// Prints one closing line for CI from vitest's JSON report: "tests: N passed, N failed".
import fs from 'node:fs';

const report = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
process.stdout.write(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
);
process.exitCode = report.numFailedTests === 0 && report.numPassedTests > 0 ? 0 : 1;
