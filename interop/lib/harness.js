// Test harness for the Node.js interoperability tests: starts and stops real
// `reynard serve` processes on 127.0.0.1, talks to the HTTP API, and drives
// stock Yjs / y-websocket clients against the /collab endpoint.
//
// This file holds no tests; it only exports helpers. Everything it starts
// (servers, providers, temp dirs) is tracked so that `cleanup()` (called from
// the test files' `after` hooks) and a last-resort `process.on('exit')` hook
// can end it even when a test fails half way.

import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider, messageAuth } from 'y-websocket'
import * as authProtocol from 'y-protocols/auth'

export { sleep, Y }

const INTEROP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const HOST = '127.0.0.1'
const READY_LINE = /Open http:\/\/127\.0\.0\.1:(\d+) in your browser/
const LOG_LIMIT = 256 * 1024

/** The server binary: `REYNARD_BIN`, else ../target/debug/reynard relative to interop/. */
export function serverBinary () {
  const fromEnv = process.env.REYNARD_BIN
  return fromEnv ? path.resolve(fromEnv) : path.resolve(INTEROP_DIR, '../target/debug/reynard')
}

// ---------------------------------------------------------------- tracking

/** @type {Set<Server>} */
const servers = new Set()
/** @type {Set<Client>} */
const clients = new Set()
/** @type {Set<string>} */
const dataDirs = new Set()

// Last resort: never leave a server behind, whatever happened to the hooks.
process.on('exit', () => {
  for (const server of servers) {
    if (server.running) {
      try { server.child.kill('SIGKILL') } catch {}
    }
  }
})

/** A fresh temporary data directory, removed by `cleanup()` (kept when REYNARD_KEEP_DATA is set). */
export function makeDataDir () {
  const dir = mkdtempSync(path.join(tmpdir(), 'reynard-interop-'))
  dataDirs.add(dir)
  return dir
}

/** Destroys every client still open. */
export function destroyClients () {
  for (const client of [...clients]) client.destroy()
}

/** Destroys every client, stops every server still running, removes the temp dirs. */
export async function cleanup () {
  destroyClients()
  await Promise.all([...servers].map((s) => s.stop()))
  if (!process.env.REYNARD_KEEP_DATA) {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
    dataDirs.clear()
  }
}

// ---------------------------------------------------------------- waiting

/**
 * Polls `condition` (sync or async) every `interval` ms until it returns a
 * truthy value, which is returned; throws after `timeout` ms. `message` (a
 * string or a function, evaluated at timeout) says what was awaited.
 */
export async function waitFor (condition, { timeout = 10_000, interval = 20, message = 'a condition' } = {}) {
  const started = Date.now()
  for (;;) {
    const value = await condition()
    if (value) return value
    if (Date.now() - started >= timeout) {
      const what = typeof message === 'function' ? message() : message
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    }
    await sleep(interval)
  }
}

// ---------------------------------------------------------------- servers

/**
 * @typedef {object} Server
 * @property {import('node:child_process').ChildProcess} child
 * @property {number} pid
 * @property {number} port
 * @property {string} baseUrl  http://127.0.0.1:PORT
 * @property {string} wsUrl    ws://127.0.0.1:PORT/collab
 * @property {string} dataDir
 * @property {boolean} running
 * @property {Promise<{code:number|null, signal:string|null}>} exited
 * @property {() => string} logs  stdout+stderr captured so far (last 256 KiB)
 * @property {() => Promise<object>} stop  SIGTERM, SIGKILL after 10 s
 * @property {() => Promise<object>} kill  SIGKILL (the crash)
 */

/**
 * Starts `reynard serve --listen 127.0.0.1:0 --data-dir DIR [...args]` and
 * resolves once it printed the line with its port.
 * @param {{dataDir?: string, args?: string[], startTimeout?: number}} [opts]
 * @returns {Promise<Server>}
 */
export async function startServer ({ dataDir, args = [], startTimeout = 30_000 } = {}) {
  const bin = serverBinary()
  if (!existsSync(bin)) {
    throw new Error(`server binary not found at ${bin}: run \`cargo build -p reynard-server\` in the repository root, or set REYNARD_BIN`)
  }
  dataDir = dataDir ?? makeDataDir()
  const env = { ...process.env }
  // Nothing from the caller's environment may point the server elsewhere.
  for (const name of ['DATABASE_URL', 'REYNARD_LISTEN', 'REYNARD_DATA_DIR', 'REYNARD_PUBLIC_URL']) delete env[name]
  // Call media and TURN on free ports, so that servers never contend for 7882/3478.
  env.REYNARD_RTC_UDP_PORT = env.REYNARD_RTC_UDP_PORT ?? '0'
  env.REYNARD_TURN_PORT = env.REYNARD_TURN_PORT ?? '0'
  const child = spawn(bin, ['serve', '--listen', `${HOST}:0`, '--data-dir', dataDir, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })

  let log = ''
  const append = (chunk) => {
    log += chunk
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT)
    if (process.env.REYNARD_INTEROP_LOG) process.stderr.write(`[reynard ${child.pid}] ${chunk}`)
  }
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', append)

  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const server = /** @type {Server} */ ({
    child,
    pid: child.pid,
    port: 0,
    baseUrl: '',
    wsUrl: '',
    dataDir,
    running: true,
    exited,
    logs: () => log,
    async stop () {
      if (server.running) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => { if (server.running) child.kill('SIGKILL') }, 10_000)
        await exited
        clearTimeout(timer)
      }
      return exited
    },
    async kill () {
      if (server.running) child.kill('SIGKILL')
      return exited
    }
  })
  exited.then(() => { server.running = false; servers.delete(server) })
  servers.add(server)

  const port = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    let done = false
    const timer = setTimeout(() => finish(new Error(`server did not print its port within ${startTimeout} ms`)), startTimeout)
    const finish = (err, value) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (err) {
        child.kill('SIGKILL')
        err.message += `\n--- server output ---\n${log}`
        reject(err)
      } else {
        resolve(value)
      }
    }
    lines.on('line', (line) => {
      append(line + '\n')
      const match = READY_LINE.exec(line)
      if (match) finish(null, Number(match[1]))
    })
    child.once('error', (err) => finish(err))
    exited.then(({ code, signal }) => finish(new Error(`server exited before it was ready (code ${code}, signal ${signal})`)))
  })
  server.port = port
  server.baseUrl = `http://${HOST}:${port}`
  server.wsUrl = `ws://${HOST}:${port}/collab`
  return server
}

// ---------------------------------------------------------------- HTTP

/**
 * One HTTP request. `json` sends a JSON body, `text` a text/plain one.
 * Resolves to { status, headers, body, json } whatever the status.
 */
export async function request (server, method, urlPath, { token, json, text } = {}) {
  const headers = {}
  let body
  if (token) headers.authorization = `Bearer ${token}`
  if (json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(json)
  } else if (text !== undefined) {
    headers['content-type'] = 'text/plain; charset=utf-8'
    body = text
  }
  const res = await fetch(server.baseUrl + urlPath, { method, headers, body })
  const raw = await res.text()
  let parsed
  try { parsed = raw ? JSON.parse(raw) : undefined } catch {}
  return { status: res.status, headers: res.headers, body: raw, json: parsed }
}

/** Like `request`, but throws unless the status is `expected`. */
export async function expectStatus (expected, server, method, urlPath, opts) {
  const res = await request(server, method, urlPath, opts)
  if (res.status !== expected) {
    throw new Error(`${method} ${urlPath}: expected ${expected}, got ${res.status}: ${res.body}`)
  }
  return res
}

let userCounter = 0

/** Signs a new user up; resolves to { id, email, name, password, token }. */
export async function signup (server, name = 'user') {
  userCounter += 1
  const email = `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}-${process.pid}-${userCounter}-${Date.now()}@interop.test`
  const password = 'correct horse 1'
  const res = await expectStatus(201, server, 'POST', '/api/v1/auth/signup', { json: { email, password, name } })
  return { ...res.json.user, password, token: res.json.token }
}

/** Creates a workspace owned by `owner`; resolves to { id, name, role }. */
export async function createWorkspace (server, owner, name = 'Interop') {
  const res = await expectStatus(201, server, 'POST', '/api/v1/workspaces', { token: owner.token, json: { name } })
  return res.json
}

/**
 * Adds an already signed-up user to a workspace with `role` (owner|editor|viewer).
 * Their email is unverified (no mail here), so the owner gets an invitation with
 * a link and the user opens it, as people do.
 */
export async function addMember (server, owner, workspaceId, user, role) {
  const res = await expectStatus(201, server, 'POST', `/api/v1/workspaces/${workspaceId}/members`, {
    token: owner.token,
    json: { email: user.email, role }
  })
  if (res.json.status !== 'invited') return res.json
  const token = res.json.invite_link.split('/invite/')[1]
  const joined = await expectStatus(200, server, 'POST', '/api/v1/invitations/accept', { token: user.token, json: { token } })
  return joined.json
}

let docCounter = 0

/** Creates a document; resolves to { id, path, language, ... }. */
export async function createDocument (server, user, workspaceId, docPath) {
  docCounter += 1
  docPath = docPath ?? `notes/doc-${docCounter}.md`
  const res = await expectStatus(201, server, 'POST', `/api/v1/workspaces/${workspaceId}/documents`, {
    token: user.token,
    json: { path: docPath }
  })
  return res.json
}

/** GET the document's text (the Y.Text "monaco"). */
export async function getContent (server, user, docId) {
  const res = await expectStatus(200, server, 'GET', `/api/v1/documents/${docId}/content`, { token: user.token })
  return res.body
}

/** PUT the document's text (expects 204). */
export async function putContent (server, user, docId, text) {
  await expectStatus(204, server, 'PUT', `/api/v1/documents/${docId}/content`, { token: user.token, text })
}

/** An owner with a workspace and one document: { owner, workspace, doc }. */
export async function ownerWithDocument (server) {
  const owner = await signup(server, 'Owner')
  const workspace = await createWorkspace(server, owner)
  const doc = await createDocument(server, owner, workspace.id)
  return { owner, workspace, doc }
}

// ---------------------------------------------------------------- clients

/**
 * @typedef {object} Client
 * @property {string} label
 * @property {Y.Doc} doc
 * @property {Y.Text} text          doc.getText('monaco')
 * @property {WebsocketProvider} provider
 * @property {import('y-protocols/awareness').Awareness} awareness
 * @property {string[]} denied      reasons of the auth permission-denied messages received
 * @property {Array<{code?:number, reason?:string}>} closes  connection-close events (null event = closed locally)
 * @property {() => string} str
 * @property {() => Promise<void>} synced  resolves once the provider is synced
 * @property {() => void} terminate  drops the socket abruptly (no close frame, no awareness removal), no reconnect
 * @property {() => void} destroy
 */

/**
 * A stock y-websocket client on its own Y.Doc and its own connection.
 * BroadcastChannel is disabled: Node has a global BroadcastChannel, and
 * providers of one process would otherwise exchange updates directly,
 * bypassing the server under test.
 * @returns {Client}
 */
export function openClient (server, docId, user, { label = user.name, connect = true, doc = new Y.Doc() } = {}) {
  const provider = new WebsocketProvider(server.wsUrl, docId, doc, {
    params: { token: user.token },
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    connect
  })
  const denied = []
  const closes = []
  // Record permission-denied answers instead of the default console.warn.
  provider.messageHandlers[messageAuth] = (_encoder, decoder, p) => {
    authProtocol.readAuthMessage(decoder, p.doc, (_ydoc, reason) => denied.push(reason))
  }
  provider.on('connection-close', (event) => {
    closes.push(event ? { code: event.code, reason: event.reason } : { local: true })
  })
  provider.on('connection-error', () => {}) // keep going; reconnects are the provider's job

  let destroyed = false
  const client = /** @type {Client} */ ({
    label,
    doc,
    text: doc.getText('monaco'),
    provider,
    awareness: provider.awareness,
    denied,
    closes,
    str: () => client.text.toString(),
    synced: (timeout = 10_000) => waitFor(() => provider.synced, {
      timeout,
      message: () => `client ${label} to sync (wsconnected=${provider.wsconnected}, closes=${JSON.stringify(closes)})`
    }),
    terminate () {
      provider.shouldConnect = false
      const ws = provider.ws
      if (ws) ws.terminate()
    },
    destroy () {
      if (destroyed) return
      destroyed = true
      clients.delete(client)
      provider.destroy()
      doc.destroy()
    }
  })
  clients.add(client)
  return client
}

/** `openClient`, then waits until it is synced. */
export async function connectClient (server, docId, user, opts) {
  const client = openClient(server, docId, user, opts)
  await client.synced()
  return client
}

/** Waits until every client's text equals `expected` (or all are equal, when `expected` is undefined). */
export async function waitConverged (clientList, { expected, timeout = 10_000 } = {}) {
  await waitFor(() => {
    const texts = clientList.map((c) => c.str())
    const target = expected ?? texts[0]
    return texts.every((t) => t === target)
  }, {
    timeout,
    message: () => 'clients to converge: ' + clientList.map((c) => `${c.label}=${JSON.stringify(c.str())}`).join(', ')
  })
  return clientList[0].str()
}
