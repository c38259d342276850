import path from 'node:path';
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

// The UI is plain static files served by `pgferry serve` at `/`; in development the API
// is proxied to a running server (PGFERRY_DEV_API, default http://127.0.0.1:7910).
export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: { '/api': process.env.PGFERRY_DEV_API ?? 'http://127.0.0.1:7910' },
  },
});
