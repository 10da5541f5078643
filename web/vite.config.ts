/// <reference types="vitest/config" />
// Vite: builds the client into dist/ (embedded by the server binary) and runs
// the Vitest unit tests in jsdom.
import { fileURLToPath } from 'node:url'
import { defineConfig, type ProxyOptions } from 'vite'
import solid from 'vite-plugin-solid'

const monacoEsm = fileURLToPath(new URL('./node_modules/monaco-editor/esm/vs/', import.meta.url))
const apiTarget = process.env.REYNARD_DEV_API ?? 'http://127.0.0.1:8080'

type ProxyServer = Parameters<NonNullable<ProxyOptions['configure']>>[0]

function sameOriginAsServer (proxy: ProxyServer): void {
  const origin = new URL(apiTarget).origin
  proxy.on('proxyReq', (req) => { if (req.getHeader('origin')) req.setHeader('origin', origin) })
  proxy.on('proxyReqWs', (req) => { if (req.getHeader('origin')) req.setHeader('origin', origin) })
}

export default defineConfig({
  plugins: [solid()],
  resolve: {
    // monaco-editor's `exports` map does not expose `esm/vs/...` paths, which
    // y-monaco imports (and so do we, to bundle only the parts we use).
    alias: [{ find: /^monaco-editor\/esm\/vs\/(.*)$/, replacement: `${monacoEsm}$1` }]
  },
  server: {
    // `npm run dev`: the API and the document WebSockets go to a running
    // server. The server accepts cookie requests only from its own origin, so
    // the proxy presents them as coming from there (this dev server is the
    // page's origin and is trusted like the server's own pages).
    proxy: {
      '/api': { target: apiTarget, ws: true, configure: sameOriginAsServer },
      '/collab': { target: apiTarget, ws: true, configure: sameOriginAsServer }
    }
  },
  build: {
    target: 'es2022',
    // Monaco is one large chunk by nature; it is loaded only on the editor page.
    chunkSizeWarningLimit: 4096,
    // No inline module-preload polyfill: the Content-Security-Policy allows
    // scripts from the server's files only (every supported browser preloads
    // modules natively).
    modulePreload: { polyfill: false },
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
