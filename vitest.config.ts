import {BaseSequencer, type TestSpecification} from 'vitest/node';
import {defineConfig} from 'vitest/config';

// The crash tests (child processes killed with kill -9) and the browser tests take one to two minutes
// each. A fresh checkout has no timing cache, so vitest would order files by size and could start them
// last, leaving one of them to run alone at the end; they go first and overlap the rest instead.
const SLOW = /(process|browser)[^/]*\.test\.ts$/;

class SlowFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter(f => SLOW.test(f.moduleId)), ...sorted.filter(f => !SLOW.test(f.moduleId))];
  }
}

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Many files wait on child processes, PostgreSQL or Chromium rather than the CPU: three at a
    // time keeps a 2-core machine busy (the default, cores − 1, ran them one by one).
    maxWorkers: 3,
    sequence: {sequencer: SlowFirst},
  },
});
