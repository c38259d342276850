import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/leak-check.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files run in two forks, each on its own throw-away database.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
