import { defineConfig } from 'vitest/config';

// Unit tests sit next to pure logic (src/**/*.test.ts); integration and end-to-end tests live in
// test/. Every integration file makes its own database and queue prefix, so files run in parallel.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'queues/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
