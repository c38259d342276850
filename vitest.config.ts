import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/leak-check.ts'],
    // Guards against hangs only: CI machines are shared and a busy one may be many times
    // slower than a quiet one, so no test or hook fails for being slow.
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // Two cores: files run in two forks, each on its own throw-away database.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
