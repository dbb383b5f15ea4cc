import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', 'dist/**', 'web/**', 'test/fixtures/**'];
/** Runs `npm ci` and a whole server in a fresh clone: CPU-heavy, so it runs alone, after everything else. */
const FRESH_CLONE = 'test/demo/fresh-clone.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'earshot',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...exclude, FRESH_CLONE],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'fresh-clone', include: [FRESH_CLONE], exclude, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
