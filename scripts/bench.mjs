// `npm run bench`: runs every bench/*.bench.ts in turn (one at a time: they measure the machine),
// each merging its figures into bench/results/latest.json. `npm run bench -- outbox` runs one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const filter = process.argv[2];
const benches = fs
  .readdirSync(path.join(root, 'bench'))
  .filter((name) => name.endsWith('.bench.ts') && (!filter || name.includes(filter)))
  .sort();

let failed = 0;
for (const name of benches) {
  process.stdout.write(`\n=== bench/${name}\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', name)], { cwd: root, stdio: 'inherit' });
  process.stdout.write(`=== ${name}: ${result.status === 0 ? 'ok' : `FAILED (${result.status})`} in ${Date.now() - started} ms\n`);
  if (result.status !== 0) failed += 1;
}
process.stdout.write(`\n${benches.length - failed} benches ok, ${failed} failed; figures in bench/results/latest.json\n`);
process.exitCode = failed ? 1 : 0;
