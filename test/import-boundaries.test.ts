import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

/** Runs the same check as `npm run boundaries` on a directory. */
function cruise(dir: string): { status: number | null; output: string } {
  const r = spawnSync(depcruise, [dir, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('import boundaries (docs/architecture.md)', () => {
  it('the real source tree has no violations', () => {
    const { status, output } = cruise('src');
    expect(output).toContain('no dependency violations found');
    expect(status).toBe(0);
  });

  it('the check fails when src/center imports something with I/O or another layer', () => {
    const { status, output } = cruise('test/fixtures/boundaries/src');
    expect(status).not.toBe(0);
    expect(output).toContain('center-no-builtins: test/fixtures/boundaries/src/center/leaky.ts → fs');
    expect(output).toContain(
      'center-is-pure: test/fixtures/boundaries/src/center/leaky.ts → test/fixtures/boundaries/src/sip/parser.ts',
    );
  });
});
