/**
 * `npm run bench [-- name-filter]`: runs every `bench/*.bench.ts` in its own process, one after
 * the other (benchmarks must not share the two cores), and forwards their output. Each benchmark
 * prints its figures and, last, one JSON line `{"bench":"…", …}`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const filter = process.argv[2] ?? '';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n# ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`# ${f} exited with ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
