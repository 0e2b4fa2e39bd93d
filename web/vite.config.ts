// The dashboard build: `vite build web` writes web/dist, which `shardcast serve` serves at /.
// No CDN, no network: everything is bundled. hls.js (597 kB: the full build, which plays alternate audio and
// subtitle renditions) is its own chunk, loaded only on a ladder job's page; the dashboard's own code is 25 kB.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/openapi.json': 'http://127.0.0.1:8080' } },
});
