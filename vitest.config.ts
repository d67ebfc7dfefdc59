import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Node loads graphql 16 as CommonJS for the libraries; make vite load the same
  // copy for our code, or graphql sees two realms.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // An unhandled rejection fails the test file it happened in.
    setupFiles: ['test/setup/unhandled-rejections.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers than that only adds contention with PostgreSQL.
    maxWorkers: 2,
  },
});
