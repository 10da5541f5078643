// Chat fan-out with the release binary, on a fresh server: CLIENTS live sockets
// (`GET /api/v1/workspaces/{ws}/live`, what every browser tab opens) of a
// workspace's members, one sender posting MESSAGES chat messages to the
// `general` room over HTTP at RATE per second. Each message carries its send
// time; every socket notes when it arrives. Prints p50/p99/max send → delivered
// over all deliveries, deliveries lost, and the server's CPU time (user + system,
// from /proc) per delivered message while the messages flowed.
//
// Usage: node bench/chat/fanout.mjs   (REYNARD=path/to/reynard CLIENTS=200 MESSAGES=500 RATE=20)
// Loopback only; the server is stopped by its PID.

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'

const bin = process.env.REYNARD ?? new URL('../../target/release/reynard', import.meta.url).pathname
const CLIENTS = Number(process.env.CLIENTS ?? 200)
const MESSAGES = Number(process.env.MESSAGES ?? 500)
const RATE = Number(process.env.RATE ?? 20)
const MEMBERS = Number(process.env.MEMBERS ?? 20)
const TICKS = 100 // clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK)

async function start () {
  const data = mkdtempSync(join(tmpdir(), 'reynard-chat-bench-'))
  const flags = ['--signup-limit-per-ip', '100000', '--chat-messages-per-minute', '1000000', '--ws-connections-per-user', '100000']
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
  const cpuSeconds = () => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS
  }
  return { url, cpuSeconds, stop: () => { child.kill('SIGTERM'); rmSync(data, { recursive: true, force: true }) } }
}

async function call (url, method, path, token, body) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined
  })
  const json = await res.json().catch(() => null)
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

async function main () {
  const server = await start()
  try {
    const signup = (i) => call(server.url, 'POST', '/api/v1/auth/signup', null, { email: `u${i}@example.org`, password: 'correct horse 1', name: `User ${i}` })
    const owner = await signup(0)
    const ws = (await call(server.url, 'POST', '/api/v1/workspaces', owner.token, { name: 'Bench' })).id
    const members = [owner]
    for (let i = 1; i < MEMBERS; i++) {
      const user = await signup(i)
      const invited = await call(server.url, 'POST', `/api/v1/workspaces/${ws}/members`, owner.token, { email: `u${i}@example.org`, role: 'viewer' })
      if (invited.status === 'invited') {
        const token = invited.invite_link.split('/invite/')[1]
        await call(server.url, 'POST', '/api/v1/invitations/accept', user.token, { token })
      }
      members.push(user)
    }
    const general = (await call(server.url, 'GET', `/api/v1/workspaces/${ws}/rooms`, owner.token))[0].id

    const latencies = []
    const sockets = []
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => new Promise((resolve, reject) => {
      const token = members[i % members.length].token
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/workspaces/${ws}/live?token=${token}`)
      socket.on('message', (data) => {
        const event = JSON.parse(data)
        if (event.type === 'welcome') resolve()
        if (event.type === 'message') {
          const sent = Number(/^t=(\d+(?:\.\d+)?)/.exec(event.message.text)?.[1])
          latencies.push(performance.now() - sent)
        }
      })
      socket.on('error', reject)
      sockets.push(socket)
    })))
    // Let the arrivals' presence frames settle before measuring.
    await new Promise((resolve) => setTimeout(resolve, 1000))

    const sender = members[1]
    const cpuBefore = server.cpuSeconds()
    const t0 = performance.now()
    const posts = []
    for (let n = 0; n < MESSAGES; n++) {
      const due = t0 + (n * 1000) / RATE
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      posts.push(call(server.url, 'POST', `/api/v1/rooms/${general}/messages`, sender.token, { text: `t=${performance.now()} message ${n}` }))
    }
    await Promise.all(posts)
    const expected = MESSAGES * CLIENTS
    const deadline = performance.now() + 10_000
    while (latencies.length < expected && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    const seconds = (performance.now() - t0) / 1000
    const cpu = server.cpuSeconds() - cpuBefore
    for (const socket of sockets) socket.close()

    const sorted = latencies.slice().sort((a, b) => a - b)
    const result = {
      clients: CLIENTS,
      members: MEMBERS,
      messages: MESSAGES,
      rate_per_second: RATE,
      deliveries: latencies.length,
      lost: expected - latencies.length,
      p50_ms: +percentile(sorted, 50).toFixed(2),
      p99_ms: +percentile(sorted, 99).toFixed(2),
      max_ms: +sorted[sorted.length - 1].toFixed(2),
      server_cpu_seconds: +cpu.toFixed(2),
      server_cpu_us_per_delivery: +((cpu * 1e6) / latencies.length).toFixed(2),
      server_cpu_ms_per_message: +((cpu * 1e3) / MESSAGES).toFixed(3),
      wall_seconds: +seconds.toFixed(2)
    }
    console.log(JSON.stringify(result))
    console.log(`chat fan-out: ${CLIENTS} sockets, ${MESSAGES} messages at ${RATE}/s -> ${result.deliveries} deliveries (${result.lost} lost); ` +
      `send -> delivered p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, max ${result.max_ms} ms; ` +
      `server CPU ${result.server_cpu_seconds} s = ${result.server_cpu_us_per_delivery} µs per delivery (${result.server_cpu_ms_per_message} ms per message incl. its HTTP request and storage)`)
  } finally {
    server.stop()
  }
}

main().catch((err) => { console.error(err); process.exit(1) })
