import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The console: `vite build web` writes `web/dist/`, which the API serves at `/`.
 * The browser phone (SIP.js) is a separate chunk loaded only when the user has a `webrtc` phone,
 * so the initial JavaScript stays small.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
      '/sip': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
