import {defineConfig} from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Many files wait on child processes, PostgreSQL or Chromium rather than the CPU: three at a
    // time keeps a 2-core machine busy (the default, cores − 1, ran them one by one).
    maxWorkers: 3,
  },
});
