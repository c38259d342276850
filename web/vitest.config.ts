import path from 'node:path';
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

// Component tests only: jsdom, no database, separate from the server suite.
export default defineConfig({
  root,
  plugins: [react()],
  test: {
    include: ['src/**/*.test.tsx'],
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
    // No wall-time limit that a slow or shared machine can reach (as in the server suite): the
    // backup job form's physical test took 27 s of jsdom and Mantine on a slower 2-core machine.
    testTimeout: 900_000,
    css: false,
  },
});
