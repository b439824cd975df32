import { defineConfig } from 'vitest/config';

// Unit tests sit next to pure logic (src/**/*.test.ts); integration and end-to-end tests live in
// test/. Every integration file makes its own database and queue prefix, so files run in parallel.
//
// Files share their worker's module cache (isolate: false): importing the service's modules again for
// each of the ~130 files cost about 250 s of the suite's CPU (vitest's "import" figure), on 2 cores.
// Nothing a test file relies on lives in module state between files: each builds its own runtime,
// database and queue prefix. The files that replace a module (vi.mock) or the clock, and those that
// use nock (it patches the process's http and fetch for as long as the module stays loaded), run
// isolated.
const ISOLATED = [
  'test/signature/verify-package-source.test.ts',
  'test/registers-numbering.test.ts',
  'test/axis.test.ts',
  'test/console/reorganisation.test.ts',
  'test/directory-sync.test.ts',
  'test/partners.test.ts',
];

const shared = {
  testTimeout: 30_000,
  hookTimeout: 120_000,
  teardownTimeout: 30_000,
};

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'shared',
          include: ['src/**/*.test.ts', 'queues/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ISOLATED,
          isolate: false,
        },
      },
      { test: { ...shared, name: 'isolated', include: ISOLATED } },
    ],
  },
});
