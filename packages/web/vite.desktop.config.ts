import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { ROSTER } from '@parley/protocol';

const ROSTER_MODULE = 'virtual:parley-roster';

/**
 * The roster of terms (code, title, summary, what each purpose may do) as a plain module: @parley/protocol uses
 * node:crypto and cannot go to the browser, so its ROSTER is read here, at build time, and written out as data.
 */
function roster(): Plugin {
  return {
    name: 'parley-roster',
    resolveId: (id) => (id === ROSTER_MODULE ? `\0${ROSTER_MODULE}` : undefined),
    load(id) {
      if (id !== `\0${ROSTER_MODULE}`) return undefined;
      const entries = ROSTER.map((t) => ({
        id: t.id,
        code: t.code,
        title: t.title,
        summary: t.summary,
        permissions: t.permissions,
        maxRetentionDays: t.maxRetentionDays ?? null,
      }));
      return `export default ${JSON.stringify(entries)};`;
    },
  };
}

// The CRM agent desktop: src/desktop/index.html and its modules, built into dist/desktop/ (index.html + assets/),
// which the CRM server serves at `/desktop/`. Relative asset URLs, so the folder works wherever it is mounted.
export default defineConfig({
  root: fileURLToPath(new URL('./src/desktop', import.meta.url)),
  base: './',
  plugins: [react(), roster()],
  build: {
    outDir: fileURLToPath(new URL('./dist/desktop', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  // `npm run dev:desktop -w @parley/web`: the desktop with hot reload, its API calls passed to a running CRM
  // (`parley crm serve` or `parley up`, port 8080 unless PARLEY_CRM_URL says otherwise).
  server: {
    port: 5174,
    proxy: {
      '/crm': process.env.PARLEY_CRM_URL ?? 'http://127.0.0.1:8080',
      '/tmf-api': process.env.PARLEY_CRM_URL ?? 'http://127.0.0.1:8080',
    },
  },
});
