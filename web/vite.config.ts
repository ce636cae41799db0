// Builds the web UI into web/dist (`npm run build:web` = `vite build web`), which `dcs serve`
// serves at `/`. `npm run dev:web` serves it with hot reload and forwards /api to a running
// server (DCS_API, default http://127.0.0.1:7070).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.DCS_API ?? 'http://127.0.0.1:7070';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { '/api': { target: api, changeOrigin: false } },
  },
});
