// Hardening figures with the release binary, each on a fresh server:
//   signup: N concurrent sign-ups from distinct client addresses (a trusted
//           proxy's X-Forwarded-For), under the hashing pool: sign-ups/s,
//           refusals, and the server's peak memory.
//   diff:   two 100,000-line texts with no line in common, stored as versions
//           through the API, then GET …/diff: answer time and peak memory;
//           then the same with 64 shuffled tokens (the time-budget path).
// Usage: node bench/hardening/run.mjs [signup] [diff]   (REYNARD=path/to/reynard)
// Loopback only; every server is stopped by its PID.

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const bin = process.env.REYNARD ?? new URL('../../target/release/reynard', import.meta.url).pathname
const SIGNUPS = Number(process.env.SIGNUPS ?? 200)

async function start (flags = []) {
  const data = mkdtempSync(join(tmpdir(), 'reynard-hardening-'))
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', data, '--rtc-udp-port', '0', '--turn-port', '0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const m = /Open (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  return {
    url,
    peakMb: () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024,
    rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024,
    stop: () => { child.kill('SIGTERM'); rmSync(data, { recursive: true, force: true }) }
  }
}

async function post (url, path, body, headers = {}) {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: res.status, json: await res.json().catch(() => null) }
}

async function signup () {
  const server = await start(['--trusted-proxies', '127.0.0.1/32', '--signup-limit-per-ip', '1000'])
  const before = server.rssMb()
  const t0 = performance.now()
  const answers = await Promise.all(Array.from({ length: SIGNUPS }, (_, i) => post(server.url, '/api/v1/auth/signup',
    { email: `user${i}@example.org`, password: 'correct horse 1', name: `User ${i}` },
    { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` })))
  const seconds = (performance.now() - t0) / 1000
  const count = (status) => answers.filter((a) => a.status === status).length
  const created = count(201)
  console.log(`signup: ${SIGNUPS} at once -> ${created} created, ${count(429)} told to retry (busy), other ${SIGNUPS - created - count(429)}; ` +
    `${seconds.toFixed(2)} s, ${(created / seconds).toFixed(1)} created/s; server RSS ${before.toFixed(0)} MB before, peak ${server.peakMb().toFixed(0)} MB`)
  // Sequential: the sustained rate one client gets.
  const t1 = performance.now()
  let sequential = 0
  for (let i = 0; i < 40; i++) {
    const a = await post(server.url, '/api/v1/auth/signup', { email: `seq${i}@example.org`, password: 'correct horse 1', name: 'Seq' },
      { 'x-forwarded-for': `10.200.0.${i}` })
    if (a.status === 201) sequential++
  }
  console.log(`signup: 40 one after another -> ${sequential} created, ${(sequential / ((performance.now() - t1) / 1000)).toFixed(1)} created/s`)
  server.stop()
}

async function diff () {
  const server = await start()
  const { json } = await post(server.url, '/api/v1/auth/signup', { email: 'ada@example.org', password: 'correct horse 1', name: 'Ada' })
  const auth = { authorization: `Bearer ${json.token}` }
  const ws = (await post(server.url, '/api/v1/workspaces', { name: 'Diff' }, auth)).json.id
  for (const [label, a, b] of [
    ['disjoint', (i) => `old line ${i}`, (i) => `new line ${i}`],
    ['64 shuffled tokens', (i) => `t${(i * 7919) % 64}`, (i) => `t${(i * 104729 + 13) % 64}`]
  ]) {
    const doc = (await post(server.url, `/api/v1/workspaces/${ws}/documents`, { path: `${label.replace(/\W/g, '')}.txt` }, auth)).json.id
    const versions = []
    for (const make of [a, b]) {
      const text = Array.from({ length: 100_000 }, (_, i) => make(i)).join('\n') + '\n'
      const put = await fetch(`${server.url}/api/v1/documents/${doc}/content`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body: text })
      if (put.status !== 204) throw new Error(`PUT ${put.status}`)
      const v = await post(server.url, `/api/v1/documents/${doc}/versions`, { name: `v${versions.length}` }, auth)
      versions.push(v.json.id ?? v.json.version?.id)
    }
    const t0 = performance.now()
    const res = await fetch(`${server.url}/api/v1/documents/${doc}/diff?from=${versions[0]}&to=${versions[1]}`, { headers: auth })
    const body = await res.json()
    const ms = performance.now() - t0
    const lines = body.hunks?.reduce((n, h) => n + h.lines.length, 0)
    console.log(`diff (${label}, 100,000 lines each): ${res.status} in ${ms.toFixed(0)} ms, ${body.hunks?.length} hunk(s), ${lines} lines, coarse=${body.coarse}; server peak RSS ${server.peakMb().toFixed(0)} MB`)
  }
  server.stop()
}

const which = process.argv.slice(2)
if (which.length === 0 || which.includes('signup')) await signup()
if (which.length === 0 || which.includes('diff')) await diff()
