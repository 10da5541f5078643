/// <reference types="vitest/config" />
// Vite: builds the client into dist/ (embedded by the server binary) and runs
// the Vitest unit tests in jsdom.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'

const monacoEsm = fileURLToPath(new URL('./node_modules/monaco-editor/esm/vs/', import.meta.url))
const apiTarget = process.env.REYNARD_DEV_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [solid()],
  resolve: {
    // monaco-editor's `exports` map does not expose `esm/vs/...` paths, which
    // y-monaco imports (and so do we, to bundle only the parts we use).
    alias: [{ find: /^monaco-editor\/esm\/vs\/(.*)$/, replacement: `${monacoEsm}$1` }]
  },
  server: {
    // `npm run dev`: the API and the document WebSockets go to a running server.
    proxy: {
      '/api': apiTarget,
      '/collab': { target: apiTarget, ws: true }
    }
  },
  build: {
    target: 'es2022',
    // Monaco is one large chunk by nature; it is loaded only on the editor page.
    chunkSizeWarningLimit: 4096,
    sourcemap: false
  },
  worker: { format: 'es' },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    server: { deps: { inline: [/solid-js/, /@solidjs/] } }
  }
})
