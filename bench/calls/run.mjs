// Call figures with the release binary and real browsers (Debian chromium,
// fake camera and microphone), on a fresh server:
//
//   join: a publisher is in a room's call; ten times, another member opens the
//         room, clicks `call-join`, and the time until its first remote video
//         frame is decoded (inbound-rtp framesDecoded > 0) is taken. Prints
//         the median and each run.
//   cpu:  PARTICIPANTS members join one call, each publishing camera (three
//         simulcast layers) and microphone; once everyone decodes everyone,
//         the server's CPU time (user + system, /proc) over WINDOW seconds is
//         divided by the video streams it forwards (its /metrics), with the
//         video bitrate the pages received and the CPU per megabit of it.
//   str0m: the same `cpu` measurement against str0m's own `chat` example
//         (STR0M_CHAT=path/to/its/binary, run from its checkout), whose page
//         publishes a 640×360 camera and a microphone without simulcast.
//
// Usage: node bench/calls/run.mjs [join] [cpu] [str0m]
//        (REYNARD=path/to/reynard PARTICIPANTS=8 WINDOW=20 STR0M_CHAT=…)
// Loopback only; servers are stopped by their PID.

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join as joinPath } from 'node:path'
import { chromium } from 'playwright-core'

const bin = process.env.REYNARD ?? new URL('../../target/release/reynard', import.meta.url).pathname
const PARTICIPANTS = Number(process.env.PARTICIPANTS ?? 8)
const WINDOW = Number(process.env.WINDOW ?? 20)
const JOINS = Number(process.env.JOINS ?? 10)
const TICKS = 100 // clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK)
const METRICS_TOKEN = 'bench-metrics-token-0123456789'
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection', '--ignore-certificate-errors'
]

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function cpuSecondsOf (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS
}

async function startReynard () {
  const data = mkdtempSync(joinPath(tmpdir(), 'reynard-call-bench-'))
  const flags = ['--signup-limit-per-ip', '100000', '--login-limit-per-ip', '100000', '--rtc-udp-port', '0', '--turn-port', '0',
    '--metrics-token', METRICS_TOKEN, '--ws-connections-per-user', '100000']
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', data, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const m = /Open (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  return { url, pid: child.pid, stop: () => { child.kill('SIGTERM'); rmSync(data, { recursive: true, force: true }) } }
}

async function api (url, method, path, token, body) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}

async function metric (url, name) {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `))
  return Number(line?.split(' ')[1] ?? NaN)
}

/** A workspace with `n` members (the first the owner) and its general room. */
async function team (url, n) {
  const people = []
  for (let i = 0; i < n; i++) {
    const email = `p${i}@example.org`
    const user = await api(url, 'POST', '/api/v1/auth/signup', null, { email, password: 'correct horse 1', name: `Person ${i}` })
    people.push({ email, token: user.token })
  }
  const ws = (await api(url, 'POST', '/api/v1/workspaces', people[0].token, { name: 'Bench' })).id
  for (const person of people.slice(1)) {
    const invited = await api(url, 'POST', `/api/v1/workspaces/${ws}/members`, people[0].token, { email: person.email, role: 'editor' })
    if (invited.status === 'invited') {
      await api(url, 'POST', '/api/v1/invitations/accept', person.token, { token: invited.invite_link.split('/invite/')[1] })
    }
  }
  const room = (await api(url, 'GET', `/api/v1/workspaces/${ws}/rooms`, people[0].token))[0].id
  return { people, roomPath: `/w/${ws}/r/${room}` }
}

/** A signed-in page of its own browser context. */
async function pageFor (browser, url, person) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  await page.goto(url + '/')
  const status = await page.evaluate(async ({ email }) => {
    const res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse 1', cookie_only: true })
    })
    return res.status
  }, person)
  if (status !== 200) throw new Error(`login: ${status}`)
  return { context, page }
}

/** Video streams the page's subscriber connection decodes frames of. */
function decodingVideos (page) {
  return page.evaluate(async () => {
    const pc = window.__reynardCall?.subscriber
    if (!pc) return 0
    let n = 0
    ;(await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) n++ })
    return n
  })
}

async function joinCall (page, url, roomPath) {
  await page.goto(url + roomPath)
  await page.getByTestId('call-join').waitFor({ timeout: 30_000 })
  await page.getByTestId('call-join').click()
  await page.locator('[data-testid="call-status"][data-state="connected"]').waitFor({ timeout: 60_000 })
}

async function benchJoin (browser) {
  const server = await startReynard()
  try {
    const { people, roomPath } = await team(server.url, JOINS + 1)
    const host = await pageFor(browser, server.url, people[0])
    await joinCall(host.page, server.url, roomPath)
    const runs = []
    for (const person of people.slice(1)) {
      const { context, page } = await pageFor(browser, server.url, person)
      await page.goto(server.url + roomPath)
      await page.getByTestId('call-join').waitFor({ timeout: 30_000 })
      // Clicked and timed inside the page: no round trips to this script in the figure.
      const ms = await page.evaluate(async () => {
        const button = document.querySelector('[data-testid="call-join"]')
        const t0 = performance.now()
        button.click()
        for (;;) {
          const pc = window.__reynardCall?.subscriber
          if (pc) {
            let decoded = false
            ;(await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) decoded = true })
            if (decoded) return performance.now() - t0
          }
          if (performance.now() - t0 > 30_000) return NaN
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      })
      runs.push(ms)
      await page.getByTestId('call-leave').click().catch(() => {})
      await context.close()
    }
    console.log(JSON.stringify({ scenario: 'join', server: 'reynard', median_ms: Math.round(median(runs)), runs_ms: runs.map(Math.round) }))
  } finally {
    server.stop()
  }
}

/** Video bytes all pages received so far (inbound-rtp), read from the peer connection `pc` names in each page. */
async function receivedVideoBytes (pages, pc) {
  const each = await Promise.all(pages.map((page) => page.evaluate(async (pc) => {
    // eslint-disable-next-line no-eval
    const conn = (0, eval)(pc)
    if (!conn) return 0
    let bytes = 0
    ;(await conn.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') bytes += s.bytesReceived ?? 0 })
    return bytes
  }, pc)))
  return each.reduce((a, b) => a + b, 0)
}

/**
 * CPU time of `pid` per forwarded video stream over the window, with the video
 * bitrate the pages received (measured the same way for every server).
 */
async function measure (pid, streams, pages, pc) {
  const cpu0 = cpuSecondsOf(pid)
  const bytes0 = await receivedVideoBytes(pages, pc)
  await sleep(WINDOW * 1000)
  const cpu = cpuSecondsOf(pid) - cpu0
  const received = (await receivedVideoBytes(pages, pc)) - bytes0
  const n = await streams()
  return {
    forwarded_video_streams: n,
    server_cpu_percent_of_core: +(cpu / WINDOW * 100).toFixed(2),
    cpu_percent_per_video_stream: +(cpu / WINDOW * 100 / n).toFixed(3),
    received_video_kbps: Math.round(received * 8 / WINDOW / 1000),
    cpu_ms_per_received_video_megabit: +(cpu * 1000 / (received * 8 / 1e6)).toFixed(2)
  }
}

async function benchCpu (browser) {
  const server = await startReynard()
  const contexts = []
  try {
    const { people, roomPath } = await team(server.url, PARTICIPANTS)
    const pages = []
    for (const person of people) {
      const { context, page } = await pageFor(browser, server.url, person)
      contexts.push(context)
      await joinCall(page, server.url, roomPath)
      pages.push(page)
    }
    const want = PARTICIPANTS - 1
    const deadline = Date.now() + 120_000
    let decoding = []
    while (Date.now() < deadline) {
      decoding = await Promise.all(pages.map(decodingVideos))
      if (decoding.every((n) => n >= want)) break
      await sleep(1000)
    }
    const result = await measure(server.pid, () => metric(server.url, 'reynard_call_forwarded_video_streams'),
      pages, 'window.__reynardCall?.subscriber')
    console.log(JSON.stringify({ scenario: 'cpu', server: 'reynard', participants: PARTICIPANTS, decoding, ...result }))
  } finally {
    for (const context of contexts) await context.close().catch(() => {})
    server.stop()
  }
}

/** The same load on str0m's `chat` example: its page, Connect, Cam, Mic. */
async function benchStr0m (browser) {
  const binary = process.env.STR0M_CHAT
  if (!binary) throw new Error('STR0M_CHAT=path/to/str0m/target/release/examples/chat (run from its checkout)')
  const child = spawn(binary, [], { cwd: process.env.STR0M_DIR ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'chat=info,str0m=warn,dimpl=warn' } })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    const look = (chunk) => {
      out += chunk
      const m = /Connect a browser to https:\/\/([\d.]+):(\d+)/.exec(out)
      if (m) resolve(`https://${m[1]}:${m[2]}`)
    }
    child.stdout.on('data', look)
    child.stderr.on('data', look)
    child.on('exit', (code) => reject(new Error(`str0m chat exited with ${code}: ${out}`)))
  })
  const contexts = []
  try {
    const pages = []
    for (let i = 0; i < PARTICIPANTS; i++) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true })
      contexts.push(context)
      const page = await context.newPage()
      await page.goto(url)
      await page.click('#rtc')
      await page.waitForFunction(() => !document.querySelector('#cam').disabled, null, { timeout: 30_000 })
      await page.click('#cam')
      await sleep(500)
      await page.click('#mic')
      pages.push(page)
      await sleep(1000)
    }
    // Videos each page decodes, from the ontrack elements' playback.
    const want = PARTICIPANTS - 1
    const deadline = Date.now() + 120_000
    let decoding = []
    while (Date.now() < deadline) {
      decoding = await Promise.all(pages.map((p) => p.evaluate(() =>
        [...document.querySelectorAll('video')].filter((v) => v.videoWidth > 0 && !v.paused).length)))
      if (decoding.every((n) => n >= want)) break
      await sleep(1000)
    }
    // Its forwarded video streams: every page's camera to every other page.
    const streams = decoding.reduce((a, b) => a + b, 0)
    const result = await measure(child.pid, async () => streams, pages, 'rtc')
    console.log(JSON.stringify({ scenario: 'cpu', server: 'str0m-chat-example', participants: PARTICIPANTS, decoding, ...result }))
  } finally {
    for (const context of contexts) await context.close().catch(() => {})
    child.kill('SIGTERM')
  }
}

async function main () {
  const wanted = process.argv.slice(2)
  const scenarios = wanted.length ? wanted : ['join', 'cpu']
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
  try {
    for (const scenario of scenarios) {
      if (scenario === 'join') await benchJoin(browser)
      else if (scenario === 'cpu') await benchCpu(browser)
      else if (scenario === 'str0m') await benchStr0m(browser)
      else throw new Error(`unknown scenario ${scenario} (join, cpu, str0m)`)
    }
  } finally {
    await browser.close()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
