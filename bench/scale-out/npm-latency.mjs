// The latency-cross scenario with the clients people run: stock `yjs` +
// `y-websocket` providers (awareness on, echoing, as in a browser), from the
// interop tests' packages. Writers on process A insert markers; readers on
// process B (PostgreSQL + Redis) record when each marker shows up in their
// Y.Text; beside it, the same room with everyone on one process on the same
// PostgreSQL. Writers and readers share this Node process's clock.
//
//   cargo build --release -p reynard-server && (cd interop && npm ci)
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test BENCH_REDIS_URL=redis://127.0.0.1:6379 \
//     REYNARD_BIN=target/release/reynard node bench/scale-out/npm-latency.mjs
//
// Knobs: DURATION (s, 10), WRITERS (4), READERS (16), RATE (inserts/s per writer, 20).

import { execFileSync } from 'node:child_process'

import {
  cleanup,
  connectClient,
  createDocument,
  createWorkspace,
  signup,
  sleep,
  startServer
} from '../../interop/lib/harness.js'

const DATABASE = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const DURATION = Number(process.env.DURATION ?? 10)
const WRITERS = Number(process.env.WRITERS ?? 4)
const READERS = Number(process.env.READERS ?? 16)
const RATE = Number(process.env.RATE ?? 20)
const MARKER = /\[(\d+):(\d+)\]/g

function psql (sql) {
  execFileSync('psql', [DATABASE, '-qc', sql], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' }
  })
}

function percentile (sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function run (setup) {
  const schema = `bench_npm_${process.pid}_${Date.now()}`
  psql(`CREATE SCHEMA ${schema}`)
  const sep = DATABASE.includes('?') ? '&' : '?'
  const databaseUrl = `${DATABASE}${sep}options=-c%20search_path%3D${schema}`
  const base = ['--database-url', databaseUrl, '--rtc-udp-port', '0', '--turn-port', '0']
  const args = setup === 'cross' ? [...base, '--redis-url', REDIS, '--redis-prefix', schema] : base
  try {
    const a = await startServer({ args })
    const b = setup === 'cross' ? await startServer({ args }) : a
    const owner = await signup(a, 'Bench')
    const workspace = await createWorkspace(a, owner)
    const doc = await createDocument(a, owner, workspace.id, 'bench/latency.txt')
    const sentAt = new Map()
    const latencies = []
    const writers = []
    for (let w = 0; w < WRITERS; w++) writers.push(await connectClient(a, doc.id, owner, { label: `w${w}` }))
    const readers = []
    for (let r = 0; r < READERS; r++) {
      const reader = await connectClient(b, doc.id, owner, { label: `r${r}` })
      reader.text.observe((event) => {
        const now = performance.now()
        for (const op of event.delta) {
          if (typeof op.insert !== 'string') continue
          for (const m of op.insert.matchAll(MARKER)) {
            const sent = sentAt.get(m[0])
            if (sent !== undefined) latencies.push(now - sent)
          }
        }
      })
      readers.push(reader)
    }
    await sleep(500)
    let sent = 0
    const deadline = performance.now() + DURATION * 1000
    const writing = writers.map(async (writer, w) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const marker = `[${w}:${n}]`
        sentAt.set(marker, performance.now())
        writer.text.insert(writer.text.length, marker)
        sent++
        await sleep(1000 / RATE)
      }
    })
    await Promise.all(writing)
    await sleep(2000)
    latencies.sort((x, y) => x - y)
    const result = {
      setup,
      inserts: sent,
      pairs: latencies.length,
      delivered: latencies.length / (sent * READERS),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1]
    }
    await cleanup()
    return result
  } finally {
    psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  }
}

const results = []
for (const setup of ['cross', 'single-pg']) results.push(await run(setup))
console.log(`npm yjs + y-websocket clients: ${WRITERS} writers (on A) at ${RATE}/s, ${READERS} readers (on B in cross), ${DURATION} s`)
console.log('setup      | inserts | delivered | p50 ms | p99 ms | max ms')
for (const r of results) {
  console.log(`${r.setup.padEnd(10)} | ${String(r.inserts).padStart(7)} | ${r.delivered.toFixed(3).padStart(9)} | ${r.p50.toFixed(2).padStart(6)} | ${r.p99.toFixed(2).padStart(6)} | ${r.max.toFixed(1).padStart(6)}`)
}
process.exit(0)
