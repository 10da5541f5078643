// First load of the editor page: a signed-in person opens a document link with
// an empty HTTP cache (cold) until the editor shows the synced text;
// then again with a warm cache. Prints one JSON object.
//
// Usage: node bench/web/first-load.mjs   (REYNARD_BIN picks the server binary;
// bench/web/run builds the release binary with the client embedded.)
import {
  apiFromPage, cleanup, launchBrowser, newPerson, signUp, startApp, startServer, waitForEditor
} from '../../e2e/lib/harness.js'

const RUNS = Number(process.env.RUNS ?? 5)

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

try {
  const server = await startServer()
  const app = await startApp(server)
  const browser = await launchBrowser()
  const owner = await newPerson(browser, app.baseUrl, { name: 'Owner' })
  await signUp(owner)
  const ws = await apiFromPage(owner.page, 'POST', '/api/v1/workspaces', { name: 'Bench' })
  const doc = await apiFromPage(owner.page, 'POST', `/api/v1/workspaces/${ws.json.id}/documents`, { path: 'src/main.rs' })
  const text = Array.from({ length: 300 }, (_, i) => `fn line_${i}() -> usize { ${i} }`).join('\n')
  await owner.page.evaluate(async ({ id, text }) => {
    await fetch(`/api/v1/documents/${id}/content`, { method: 'PUT', body: text, headers: { 'content-type': 'text/plain' } })
  }, { id: doc.json.id, text })
  // A signed-in person's profile (cookie and local storage) with an empty HTTP cache.
  const storageState = await owner.context.storageState()
  const url = `${app.baseUrl}/w/${ws.json.id}/d/${doc.json.id}`

  const cold = []
  let transferred = 0
  let requests = 0
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, storageState })
    const page = await context.newPage()
    let bytes = 0
    let count = 0
    page.on('requestfinished', async (request) => {
      const sizes = await request.sizes().catch(() => null)
      if (sizes) { bytes += sizes.responseBodySize + sizes.responseHeadersSize; count++ }
    })
    const started = performance.now()
    await page.goto(url)
    try {
      await waitForEditor(page)
    } catch (error) {
      await page.screenshot({ path: '/tmp/first-load-failure.png' })
      throw new Error(`the editor did not open at ${url}: ${error.message}`)
    }
    cold.push(performance.now() - started)
    transferred = bytes
    requests = count
    if (i === RUNS - 1) {
      const warm = []
      for (let j = 0; j < RUNS; j++) {
        const again = performance.now()
        await page.reload()
        await waitForEditor(page)
        warm.push(performance.now() - again)
      }
      console.log(JSON.stringify({
        page: 'editor (/w/{ws}/d/{doc}), 300-line document',
        server_mode: app.mode,
        runs: RUNS,
        cold_cache_ms: { median: Math.round(median(cold)), all: cold.map(Math.round) },
        warm_cache_ms: { median: Math.round(median(warm)), all: warm.map(Math.round) },
        cold_transfer_kb: Math.round(transferred / 1024),
        cold_requests: requests
      }))
    }
    await context.close()
  }
} finally {
  await cleanup()
}
