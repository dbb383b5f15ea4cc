#!/usr/bin/env node
// The `earshot` CLI: runs src/main.ts through tsx (no build step needed).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(
  process.execPath,
  ['--import', import.meta.resolve('tsx'), join(root, 'src', 'main.ts'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: process.cwd(),
  },
);
process.exit(r.status ?? 1);
