import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The person's dashboard: src/agent/index.html and its modules, built into dist/agent/ (index.html + assets/),
// which the agent server serves at `/`. Relative asset URLs, so the folder works wherever it is mounted.
export default defineConfig({
  root: fileURLToPath(new URL('./src/agent', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/agent', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  // `npm run dev -w @parley/web`: the dashboard with hot reload, its API calls passed to a running agent
  // (`parley agent serve`, port 7070 unless PARLEY_AGENT_URL says otherwise). Open /#token=… as printed.
  server: {
    proxy: { '/api': process.env.PARLEY_AGENT_URL ?? 'http://127.0.0.1:7070' },
  },
});
