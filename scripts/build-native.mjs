#!/usr/bin/env node
/**
 * Builds Earshot's optional native addons (today: native/udp-batch, batched UDP I/O for the media
 * workers) with the node-gyp that ships inside npm, offline: Node's own headers are used when they
 * are installed beside the node binary (`<prefix>/include/node/node_api.h`), so nothing is
 * downloaded. A failure never fails the caller: it prints one warning line and exits 0 (the media
 * engine then uses its pure-Node `dgram` path). Linux only; elsewhere it says so and skips.
 *
 *     node scripts/build-native.mjs            # build if missing or older than its source
 *     node scripts/build-native.mjs --force    # rebuild
 *
 * Output: native/udp-batch/build/Release/udp_batch.node (git-ignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native', 'udp-batch');
const output = join(dir, 'build', 'Release', 'udp_batch.node');
const sources = [join(dir, 'udp_batch.c'), join(dir, 'binding.gyp')];
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

function warn(why) {
  console.warn(`build-native: udp-batch not built (${why}); the media engine will use its dgram path`);
  process.exit(0);
}

if (process.platform !== 'linux') warn(`platform ${process.platform}: Linux only`);

const upToDate = existsSync(output) && sources.every((s) => statSync(s).mtimeMs <= statSync(output).mtimeMs);
if (upToDate && !force) process.exit(0);

/** node-gyp: the copy bundled with npm, else a local install. */
function findNodeGyp() {
  const candidates = [
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  try {
    const npmCli = spawnSync('npm', ['root', '-g'], { encoding: 'utf8', timeout: 10_000 });
    if (npmCli.status === 0)
      candidates.push(join(npmCli.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  } catch {
    // no npm on PATH
  }
  return candidates.find((c) => existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) warn('node-gyp not found (it ships with npm)');
const args = [gyp, 'rebuild'];
// Offline: Node's headers beside the binary (Debian/NodeSource: /usr/include/node) need no download.
const prefix = resolve(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const started = Date.now();
const r = spawnSync(process.execPath, args, {
  cwd: dir,
  encoding: 'utf8',
  timeout: 180_000,
  env: { ...process.env, npm_config_loglevel: 'error' },
});
if (r.status !== 0 || !existsSync(output)) {
  const last =
    `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').filter(Boolean).pop() ?? String(r.error ?? '');
  warn(
    `node-gyp ${r.status === null ? 'timed out or was killed' : `exited ${r.status}`}: ${last.slice(0, 200)}`,
  );
}
if (!quiet) console.log(`build-native: built ${output.slice(root.length + 1)} in ${Date.now() - started} ms`);
