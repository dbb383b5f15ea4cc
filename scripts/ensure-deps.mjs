#!/usr/bin/env node
// Installs the npm dependencies when they are missing or older than package-lock.json, so
// `npm start` and `npm test` work on a fresh clone without a separate `npm ci`.
// With `--web`, also builds the console (web/dist) when it is missing or older than web/src.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.log('earshot: installing npm dependencies (npm ci) ...');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
// The media workers' batched-UDP addon (native/udp-batch); skipped when up to date, a warning (never a
// failure) when it cannot be built: the engine then uses the pure-Node dgram path.
execSync(`"${process.execPath}" scripts/build-native.mjs --quiet`, { cwd: root, stdio: 'inherit' });

/** Newest modification time of any file under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return t;
}

if (process.argv.includes('--web')) {
  const built = join(root, 'web', 'dist', 'index.html');
  const sources = Math.max(
    newest(join(root, 'web', 'src')),
    statSync(join(root, 'web', 'index.html')).mtimeMs,
  );
  if (!existsSync(built) || statSync(built).mtimeMs < sources) {
    console.log('earshot: building the console (vite build web) ...');
    execSync('npx vite build web --logLevel warn', { cwd: root, stdio: 'inherit' });
  }
}
