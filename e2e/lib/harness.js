// Harness for the browser end-to-end tests: starts a real `reynard serve`
// on 127.0.0.1:0 with a temp data dir, makes sure the built web client
// (web/dist) is what the browser gets, and drives Debian's chromium with
// playwright-core. Everything it starts is tracked and ended by `cleanup()`
// (the tests' `after` hooks) and, as a last resort, on process exit.
//
// The web client: the server binary embeds web/dist at build time. When the
// binary serves exactly the current web/dist/index.html, the browser talks to
// the binary directly. When it does not (a binary built before the last
// `npm run build`, or without the client), a small static + proxy server
// serves web/dist and forwards /api and /collab to the binary, so the tests
// still run the current client against the real server; set
// REYNARD_E2E_STATIC=0 to refuse that and fail instead. That proxy presents
// the browser's requests as coming from the server's own origin (the server
// refuses cookie requests from other origins) and adds no security headers.

import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

import { chromium } from 'playwright-core'

export { sleep }

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const REPO_DIR = path.resolve(E2E_DIR, '..')
export const DIST_DIR = path.join(REPO_DIR, 'web', 'dist')
export const SCREENSHOT_DIR = path.join(E2E_DIR, 'screenshots')
const HOST = '127.0.0.1'
const READY_LINE = /Open http:\/\/127\.0\.0\.1:(\d+) in your browser/
const LOG_LIMIT = 256 * 1024

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Calls: fake camera, microphone and screen, permission prompts and the
  // screen picker answered, sound without a click, WebRTC on 127.0.0.1.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection'
]

/** The server binary: `REYNARD_BIN`, else ../target/debug/reynard relative to e2e/. */
export function serverBinary () {
  const fromEnv = process.env.REYNARD_BIN
  return fromEnv ? path.resolve(fromEnv) : path.join(REPO_DIR, 'target', 'debug', 'reynard')
}

// ---------------------------------------------------------------- tracking

const children = new Set()
const closers = []
const dataDirs = new Set()

process.on('exit', () => {
  for (const child of children) {
    try { child.kill('SIGKILL') } catch {}
  }
})

/** Stops browsers, proxies and servers (in that order) and removes temp dirs. */
export async function cleanup () {
  while (closers.length) {
    const close = closers.pop()
    try { await close() } catch (err) { console.error('cleanup:', err) }
  }
  if (!process.env.REYNARD_KEEP_DATA) {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
    dataDirs.clear()
  }
}

/** Polls `condition` until truthy; throws after `timeout` ms saying what was awaited. */
export async function waitFor (condition, { timeout = 10_000, interval = 25, message = 'a condition' } = {}) {
  const started = Date.now()
  for (;;) {
    const value = await condition()
    if (value) return value
    if (Date.now() - started >= timeout) {
      throw new Error(`timed out after ${timeout} ms waiting for ${typeof message === 'function' ? message() : message}`)
    }
    await sleep(interval)
  }
}

// ---------------------------------------------------------------- server

/** Starts `reynard serve --listen 127.0.0.1:0 --data-dir TMP`; resolves once it printed its port. */
export async function startServer ({ args = [], startTimeout = 30_000 } = {}) {
  const bin = serverBinary()
  if (!existsSync(bin)) {
    throw new Error(`server binary not found at ${bin}: run \`cargo build -p reynard-server\` in the repository root, or set REYNARD_BIN`)
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'reynard-e2e-'))
  dataDirs.add(dataDir)
  const env = { ...process.env }
  for (const name of ['DATABASE_URL', 'REYNARD_LISTEN', 'REYNARD_DATA_DIR', 'REYNARD_PUBLIC_URL']) delete env[name]
  // Call media and TURN on free ports, so that servers never contend for 7882/3478.
  env.REYNARD_RTC_UDP_PORT = env.REYNARD_RTC_UDP_PORT ?? '0'
  env.REYNARD_TURN_PORT = env.REYNARD_TURN_PORT ?? '0'
  const child = spawn(bin, ['serve', '--listen', `${HOST}:0`, '--data-dir', dataDir, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.add(child)
  let log = ''
  const append = (chunk) => {
    log += chunk
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT)
    if (process.env.REYNARD_E2E_LOG) process.stderr.write(`[reynard ${child.pid}] ${chunk}`)
  }
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', append)
  let running = true
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    running = false
    children.delete(child)
    resolve({ code, signal })
  }))
  const stop = async () => {
    if (running) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => { if (running) child.kill('SIGKILL') }, 10_000)
      await exited
      clearTimeout(timer)
    }
  }
  closers.push(stop)

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not start within ${startTimeout} ms\n${log}`)) }, startTimeout)
    createInterface({ input: child.stdout }).on('line', (line) => {
      append(line + '\n')
      const match = READY_LINE.exec(line)
      if (match) { clearTimeout(timer); resolve(Number(match[1])) }
    })
    exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`server exited before it was ready (${code}, ${signal})\n${log}`)) })
  })
  return { port, baseUrl: `http://${HOST}:${port}`, dataDir, logs: () => log, stop }
}

// ---------------------------------------------------------------- the web client

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.png': 'image/png'
}
const SERVER_PATHS = /^\/(api|collab|rtc|ics)(\/|$)|^\/(healthz|readyz|metrics)$/

/**
 * Where the browser should go: the server itself when it serves the current
 * web/dist, else a static + proxy server in front of it. Resolves to
 * `{ baseUrl, mode: 'embedded' | 'proxy' }`.
 */
export async function startApp (server) {
  const indexPath = path.join(DIST_DIR, 'index.html')
  if (!existsSync(indexPath)) throw new Error(`${indexPath} is missing: run \`npm ci && npm run build\` in web/`)
  const built = readFileSync(indexPath, 'utf8')
  const served = await (await fetch(server.baseUrl + '/')).text()
  if (served === built) return { baseUrl: server.baseUrl, mode: 'embedded' }
  if (process.env.REYNARD_E2E_STATIC === '0') {
    throw new Error('the server binary does not serve the current web/dist (rebuild it after `npm run build`), and REYNARD_E2E_STATIC=0 forbids the static proxy')
  }
  // The server trusts cookie requests from its own origin only: like a
  // reverse proxy configured with --public-url, this one presents the pages it
  // serves as the server's.
  const serverOrigin = new URL(server.baseUrl).origin
  const proxy = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x')
    if (SERVER_PATHS.test(url.pathname)) {
      const headers = req.headers.origin ? { ...req.headers, origin: serverOrigin } : req.headers
      const upstream = http.request({
        host: HOST, port: server.port, method: req.method, path: req.url, headers
      }, (up) => {
        res.writeHead(up.statusCode, up.headers)
        up.pipe(res)
      })
      upstream.on('error', (err) => { res.writeHead(502); res.end(String(err)) })
      req.pipe(upstream)
      return
    }
    let file = path.normalize(path.join(DIST_DIR, decodeURIComponent(url.pathname)))
    if (!file.startsWith(DIST_DIR) || !existsSync(file) || statSync(file).isDirectory()) file = indexPath
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' })
    res.end(readFileSync(file))
  })
  // WebSockets (/collab): pass the upgrade request through to the server, then pipe bytes.
  proxy.on('upgrade', (req, socket, head) => {
    const upstream = net.connect(server.port, HOST, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`]
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]
        lines.push(`${name}: ${name.toLowerCase() === 'origin' ? serverOrigin : req.rawHeaders[i + 1]}`)
      }
      upstream.write(lines.join('\r\n') + '\r\n\r\n')
      if (head.length) upstream.write(head)
      upstream.pipe(socket)
      socket.pipe(upstream)
    })
    const end = () => { upstream.destroy(); socket.destroy() }
    upstream.on('error', end)
    socket.on('error', end)
    upstream.on('close', end)
    socket.on('close', end)
  })
  const sockets = new Set()
  proxy.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise((resolve) => proxy.listen(0, HOST, resolve))
  closers.push(() => new Promise((resolve) => {
    for (const s of sockets) s.destroy()
    proxy.close(() => resolve())
  }))
  return { baseUrl: `http://${HOST}:${proxy.address().port}`, mode: 'proxy' }
}

// ---------------------------------------------------------------- browser

/** Launches headless Debian chromium; closed by `cleanup()`. */
export async function launchBrowser () {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS
  })
  closers.push(() => browser.close())
  return browser
}

/**
 * A new browser context (one person) with a page that records console errors
 * and uncaught exceptions in `problems`.
 */
export async function newPerson (browser, baseUrl, { name, viewport = { width: 1280, height: 800 }, colorScheme = 'light', timezoneId } = {}) {
  const context = await browser.newContext({ baseURL: baseUrl, viewport, colorScheme, ...(timezoneId ? { timezoneId } : {}) })
  const page = await context.newPage()
  const problems = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`)
    else if (msg.type() === 'warning' && process.env.REYNARD_E2E_WARNINGS) console.error(`[${name} warning] ${msg.text()}`)
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  return { name, context, page, problems }
}

let counter = 0
/** A unique email for a test person. */
export function emailFor (name) {
  counter += 1
  return `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}-${process.pid}-${counter}-${Date.now()}@e2e.test`
}

export const PASSWORD = 'correct horse 1'

/** Signs `person` up through the sign-up page; resolves to the email. */
export async function signUp (person) {
  const { page } = person
  const email = emailFor(person.name)
  await page.goto('/signup')
  await page.getByLabel('Name').fill(person.name)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('heading', { name: 'Your workspaces' }).waitFor()
  person.email = email
  return email
}

/** The text in the page's collaborative editor (Monaco's model). */
export function editorText (page) {
  return page.evaluate(() => document.querySelector('[data-testid="editor"]')?.__editor?.getValue() ?? null)
}

/** Waits until the editor is created and its connection is synced. */
export async function waitForEditor (page, { timeout = 15_000 } = {}) {
  await page.locator('[data-testid="editor"][data-ready="true"]').waitFor({ timeout })
  await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout })
}

/** Focuses the editor and puts the cursor at the end of the document. */
export async function focusEditorAtEnd (page) {
  await page.evaluate(() => {
    const editor = document.querySelector('[data-testid="editor"]').__editor
    const model = editor.getModel()
    const line = model.getLineCount()
    editor.setPosition({ lineNumber: line, column: model.getLineMaxColumn(line) })
    editor.focus()
  })
}

/** Saves a full-page screenshot into e2e/screenshots/NAME.png. */
export async function screenshot (page, name, { fullPage = false } = {}) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const file = path.join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage })
  return file
}

/** Calls the API with the page's session cookie; resolves to { status, body }. */
export function apiFromPage (page, method, urlPath, body) {
  return page.evaluate(async ({ method, urlPath, body }) => {
    const res = await fetch(urlPath, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await res.text()
    let json
    try { json = JSON.parse(text) } catch {}
    return { status: res.status, text, json }
  }, { method, urlPath, body })
}
