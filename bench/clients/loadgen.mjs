// The benchmark's load generator with the clients people run: every client a
// real `Y.Doc` + `Awareness` behaving like the y-websocket provider
// (client.mjs). Prints one JSON line, the same shape as the Rust generator's
// (`{scenario, server, client, ok, result}`), so `bench/run` files both side by side.
//
//   node loadgen.mjs SCENARIO --label NAME --server-pid PID
//        (--reynard http://127.0.0.1:P | --url-template ws://127.0.0.1:P/{room}
//         | --ysweet http://127.0.0.1:P | --hocuspocus ws://127.0.0.1:P)
//        [--duration S] [--timeout S]
//
// Scenarios (sizes from the environment, defaults as in the table):
//   join        one room of DOC_KB (500) KB of edited text (history.mjs), then JOIN_WAVES (3) waves of
//               JOINERS (20) clients joining at once: server CPU per join
//   idle        IDLE_ROOMS (200) x IDLE_CLIENTS (10), awareness on, one edit
//               (and cursor) per room, held HOLD (5) s: server KB per connection
//               (all of the growth), and per connection of the second half of
//               the rooms (what each added connection costs)
//   fanout      1 room x FANOUT_CLIENTS (200), 1 writer at FANOUT_RATE (10)/s moving
//               its cursor with each edit: p99 writer -> every other client, and
//               per edit the first and the last reader to have it
//   throughput  TP_ROOMS (20) x TP_CLIENTS (5), TP_WRITERS (2) writers per room,
//               each keeping TP_IN_FLIGHT (16) edits not yet seen by the room:
//               server CPU per delivered update

import * as Y from 'yjs'

import { Client, Tally } from './client.mjs'
import { editedHistory } from './history.mjs'
import { cpuBetween, round, rssKb, sleep, snapshot, summaryMs } from './measure.mjs'
import { openTarget } from './targets.mjs'

const env = (name, fallback) => Number(process.env[name] ?? fallback)
const JOIN_PAUSE_MS = env('JOIN_PAUSE_MS', 1000)

function parseArgs (argv) {
  const [scenario, ...rest] = argv
  const args = { scenario, duration: 10, timeout: 360 }
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i].replace(/^--/, '')
    const value = rest[i + 1]
    if (value === undefined) throw new Error(`--${key} needs a value`)
    switch (key) {
      case 'label': args.label = value; break
      case 'server-pid': args.pid = Number(value); break
      case 'duration': args.duration = Number(value); break
      case 'timeout': args.timeout = Number(value); break
      case 'reynard': args.kind = 'reynard'; args.address = value; break
      case 'url-template': args.kind = 'template'; args.address = value; break
      case 'ysweet': args.kind = 'ysweet'; args.address = value; break
      case 'hocuspocus': args.kind = 'hocuspocus'; args.address = value; break
      default: throw new Error(`unknown option --${key}`)
    }
  }
  if (!args.kind) throw new Error('name the server: --reynard, --url-template, --ysweet or --hocuspocus')
  if (!args.pid) throw new Error('--server-pid is required (its CPU and memory are measured)')
  return args
}

/** Connects `clients` with at most `parallel` handshakes at once. */
async function connectAll (clients, parallel = 32) {
  const started = performance.now()
  let next = 0
  let failed = 0
  const firstErrors = []
  await Promise.all(Array.from({ length: Math.min(parallel, clients.length) }, async () => {
    while (next < clients.length) {
      const c = clients[next++]
      try {
        await c.connect()
      } catch (err) {
        failed++
        if (firstErrors.length < 3) firstErrors.push(String(err.message ?? err))
      }
    }
  }))
  return { seconds: round((performance.now() - started) / 1000, 3), failed, errors: firstErrors }
}

function tallyResult (tally) {
  return {
    awareness_in: tally.awarenessIn,
    awareness_out: tally.awarenessOut,
    updates_out: tally.updatesOut,
    mb_in: round(tally.bytesIn / 1e6, 3),
    errors: tally.errors,
    closed_by_server: tally.closedByServer
  }
}

/** Waits until `check()` holds, polling; false after `ms`. */
async function until (check, ms) {
  const end = performance.now() + ms
  while (performance.now() < end) {
    if (check()) return true
    await sleep(20)
  }
  return check()
}

// ------------------------------------------------------------------ join
async function join (target, args) {
  const docKb = env('DOC_KB', 500)
  const joiners = env('JOINERS', 20)
  const waves = env('JOIN_WAVES', 3)
  const [room] = await target.rooms('join', 1)
  const tally = new Tally()
  // The document: DOC_KB KB of text edited by four authors (editedHistory),
  // sent as their updates, in order, by one connected author who stays, with
  // awareness on. Every server gets the same updates.
  const history = editedHistory(docKb * 1000)
  const author = new Client(room, { index: 0, tally })
  await author.connect()
  const fillStart = performance.now()
  for (let i = 0; i < history.updates.length; i++) {
    Y.applyUpdate(author.doc, history.updates[i])
    if (i % 50 === 49) await sleep(120) // within per-connection rate limits (Reynard: 500/s)
  }
  author.moveCursor()
  const expected = author.text.length
  // Stored and served: a probe sees the whole text.
  let probeLength = 0
  for (let attempt = 0; attempt < 60 && probeLength !== expected; attempt++) {
    const probe = new Client(room, { index: 1, awareness: false, tally })
    await probe.connect()
    probeLength = probe.text.length
    probe.close()
    if (probeLength !== expected) await sleep(500)
  }
  if (probeLength !== expected) throw new Error(`the server holds ${probeLength} of ${expected} characters`)
  const fillSeconds = round((performance.now() - fillStart) / 1000, 3)
  // A profiler can attach to the server now (bench/profile-join waits for this line).
  console.error(`join: filled; waves start in ${JOIN_PAUSE_MS} ms`)
  await sleep(JOIN_PAUSE_MS)

  const latencies = []
  const errors = []
  let serverCpu = 0
  let ownCpu = 0
  let otherCpu = 0
  let joined = 0
  let wrongLength = 0
  for (let wave = 0; wave < waves; wave++) {
    const clients = Array.from({ length: joiners }, (_, i) => new Client(room, { index: 10 + wave * joiners + i, tally }))
    const before = snapshot(args.pid)
    await Promise.all(clients.map(async (c) => {
      const t0 = performance.now()
      try {
        await c.connect()
        latencies.push(performance.now() - t0)
        joined++
        if (c.text.length !== expected) wrongLength++
      } catch (err) {
        errors.push(String(err.message ?? err))
      }
    }))
    // Awareness of the room settles (every joiner's state to every other).
    await sleep(300)
    const cpu = cpuBetween(before, snapshot(args.pid))
    serverCpu += cpu.server_cpu_s ?? NaN
    ownCpu += cpu.loadgen_cpu_s
    otherCpu += cpu.other_cpu_s ?? 0
    for (const c of clients) c.close()
    await sleep(1000)
  }
  author.close()
  return {
    params: { doc_kb: docKb, joiners_at_once: joiners, waves, document: 'edited by 4 authors: typing at moving carets, backspaces' },
    fill_s: fillSeconds,
    fill_updates: history.updates.length,
    document_items: history.items,
    state_bytes: history.stateBytes,
    text_chars: expected,
    joins_ok: joined,
    join_errors: errors.slice(0, 5),
    joins_with_wrong_text: wrongLength,
    join: summaryMs(latencies),
    server_cpu_s: round(serverCpu, 3),
    loadgen_cpu_s: round(ownCpu, 3),
    other_cpu_s: round(otherCpu, 3),
    server_cpu_ms_per_join: joined ? round(serverCpu * 1000 / joined, 3) : null,
    group: tallyResult(tally)
  }
}

// ------------------------------------------------------------------ idle
async function idle (target, args) {
  const rooms = env('IDLE_ROOMS', 200)
  const perRoom = env('IDLE_CLIENTS', 10)
  const hold = env('HOLD', 5)
  const urls = await target.rooms('idle', rooms)
  await sleep(1000)
  const rss0 = rssKb(args.pid)
  const tally = new Tally()
  const clients = []
  urls.forEach((room, r) => {
    for (let i = 0; i < perRoom; i++) clients.push(new Client(room, { index: r * perRoom + i, tally }))
  })
  // Two waves of half the rooms each: the second wave's growth is what each
  // added connection costs, without what the first connections of a fresh
  // server pay once (database connections and their caches, buffers that
  // reach their working size).
  const half = Math.floor(rooms / 2) * perRoom
  const waves = [clients.slice(0, half), clients.slice(half)]
  const added = { seconds: 0, failed: 0, errors: [] }
  const rssAfterWave = []
  for (const wave of waves) {
    const result = await connectAll(wave)
    added.seconds = round(added.seconds + result.seconds, 3)
    added.failed += result.failed
    added.errors.push(...result.errors.slice(0, 3 - added.errors.length))
    // One edit and a cursor per room, then let awareness settle.
    for (let i = 0; i < wave.length; i += perRoom) {
      const c = wave[i]
      if (!c.synced) continue
      c.insertMarker(c.index / perRoom, 0, ' hello from the idle room')
      c.moveCursor()
    }
    await sleep(2000)
    rssAfterWave.push(rssKb(args.pid))
  }
  const rss1 = rssAfterWave[1]
  const before = snapshot(args.pid)
  await sleep(hold * 1000)
  const cpu = cpuBetween(before, snapshot(args.pid))
  const rss2 = rssKb(args.pid)
  const isConnected = (c) => c.synced && !c.closed
  const connected = clients.filter(isConnected).length
  const connectedSecond = waves[1].filter(isConnected).length
  const seen = clients.filter((c) => c.synced && c.text.length > 0).length
  const states = clients.reduce((n, c) => n + c.awareness.getStates().size, 0)
  const ownRss = process.memoryUsage().rss
  for (const c of clients) c.close()
  const rssEnd = Math.max(rss1, rss2)
  return {
    params: { rooms, clients_per_room: perRoom, hold_s: hold, awareness: true, edits_per_room: 1, waves: 2 },
    connected,
    failed: added.failed,
    connect_errors: added.errors,
    connect_s: added.seconds,
    clients_that_saw_the_edit: seen,
    mean_awareness_states_per_client: connected ? round(states / connected, 2) : null,
    server_rss_kb_before: rss0,
    server_rss_kb_after_first_wave: rssAfterWave[0],
    server_rss_kb_after: rss1,
    server_rss_kb_end_of_hold: rss2,
    server_kb_per_connection: connected && rss0 !== null ? round((rssEnd - rss0) / connected, 2) : null,
    server_kb_per_added_connection: connectedSecond && rssAfterWave[0] !== null
      ? round((rssEnd - rssAfterWave[0]) / connectedSecond, 2)
      : null,
    server_cpu_idle_pct: cpu.server_cpu_s === null ? null : round(100 * cpu.server_cpu_s / cpu.window_s, 3),
    loadgen_rss_kb: Math.round(ownRss / 1024),
    group: tallyResult(tally)
  }
}

// ------------------------------------------------------------------ fanout
async function fanout (target, args) {
  const n = env('FANOUT_CLIENTS', 200)
  const rate = env('FANOUT_RATE', 10)
  const [room] = await target.rooms('fanout', 1)
  const tally = new Tally()
  const sentAt = new Map()
  const latencies = []
  // Per edit, the first and the last reader to have it: the first is the
  // server's own delay (plus one client's handling), the last adds the time
  // one client process takes to hand the edit to every reader.
  const firstLast = new Map()
  let received = 0
  const onMarker = (w, seq, at) => {
    const t = sentAt.get(seq)
    if (t === undefined) return
    const ms = at - t
    latencies.push(ms)
    const seen = firstLast.get(seq)
    if (seen === undefined) firstLast.set(seq, [ms, ms])
    else seen[1] = Math.max(seen[1], ms)
    received++
  }
  const writer = new Client(room, { index: 0, tally })
  const readers = Array.from({ length: n - 1 }, (_, i) => new Client(room, { index: i + 1, tally, onMarker }))
  const before0 = snapshot(args.pid)
  const added = await connectAll([writer, ...readers])
  await sleep(2000)
  const joinCpu = cpuBetween(before0, snapshot(args.pid))
  const awarenessIn0 = tally.awarenessIn
  const awarenessOut0 = tally.awarenessOut
  const connectedReaders = readers.filter((c) => c.synced).length
  const before = snapshot(args.pid)
  const total = Math.round(args.duration * rate)
  const start = performance.now()
  for (let seq = 0; seq < total; seq++) {
    const due = start + (seq * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    sentAt.set(seq, performance.now())
    writer.insertMarker(0, seq, ' typed')
    writer.moveCursor()
  }
  await until(() => received >= total * connectedReaders, 5000)
  const cpu = cpuBetween(before, snapshot(args.pid))
  const rss = rssKb(args.pid)
  for (const c of [writer, ...readers]) c.close()
  return {
    params: { rooms: 1, clients: n, writers: 1, rate, duration_s: args.duration, writer_cursor_awareness_per_edit: true, awareness_echo: true },
    connect_s: added.seconds,
    connect_failed: added.failed,
    server_cpu_join_and_settle_s: joinCpu.server_cpu_s,
    ...cpu,
    server_rss_kb: rss,
    group: {
      latency: summaryMs(latencies),
      first_reader: summaryMs([...firstLast.values()].map(([first]) => first)),
      last_reader: summaryMs([...firstLast.values()].map(([, last]) => last)),
      delivered_ratio: round(received / (total * Math.max(1, connectedReaders)), 4),
      awareness_in_window: tally.awarenessIn - awarenessIn0,
      awareness_out_window: tally.awarenessOut - awarenessOut0,
      ...tallyResult(tally)
    }
  }
}

// ------------------------------------------------------------------ throughput
async function throughput (target, args) {
  const roomCount = env('TP_ROOMS', 20)
  const perRoom = env('TP_CLIENTS', 5)
  const writersPerRoom = env('TP_WRITERS', 2)
  const inFlight = env('TP_IN_FLIGHT', 16)
  const urls = await target.rooms('throughput', roomCount)
  const tally = new Tally()
  let deliveries = 0
  let measuring = false
  const latencies = []
  const rooms = urls.map((room, r) => {
    const state = { writers: [], clients: [], sent: [], seen: [], sentAt: [] }
    for (let w = 0; w < writersPerRoom; w++) {
      state.sent.push(0); state.seen.push(-1); state.sentAt.push(new Map())
    }
    for (let i = 0; i < perRoom; i++) {
      const isWriter = i < writersPerRoom
      // The last client of the room paces the writers: an edit counts as
      // seen by the room when it has it.
      const pacer = i === perRoom - 1
      const onMarker = (w, seq, at) => {
        if (isWriter && w === i) return
        const sent = state.sentAt[w]?.get(seq)
        if (sent === undefined) return
        if (measuring) { deliveries++; latencies.push(at - sent) }
        if (pacer) state.seen[w] = Math.max(state.seen[w], seq)
      }
      const c = new Client(room, { index: r * perRoom + i, tally, onMarker })
      state.clients.push(c)
      if (isWriter) state.writers.push(c)
    }
    return state
  })
  const added = await connectAll(rooms.flatMap((s) => s.clients))
  await sleep(1000)
  let stop = false
  let updates = 0
  const pump = async (state, w) => {
    const writer = state.writers[w]
    while (!stop) {
      if (state.sent[w] - state.seen[w] - 1 < inFlight && writer.synced) {
        const seq = state.sent[w]++
        state.sentAt[w].set(seq, performance.now())
        writer.insertMarker(w, seq, '.')
        writer.moveCursor()
        if (measuring) updates++
        if (seq % 8 === 7) await new Promise(setImmediate)
      } else {
        await sleep(1)
      }
    }
  }
  const pumps = rooms.flatMap((s) => s.writers.map((_, w) => pump(s, w)))
  await sleep(1000) // warm up
  measuring = true
  const before = snapshot(args.pid)
  await sleep(args.duration * 1000)
  const cpu = cpuBetween(before, snapshot(args.pid))
  measuring = false
  stop = true
  await Promise.all(pumps)
  const rss = rssKb(args.pid)
  for (const s of rooms) for (const c of s.clients) c.close()
  const window = cpu.window_s
  const per = (n) => cpu.server_cpu_s === null || n === 0 ? null : round(cpu.server_cpu_s * 1e6 / n, 3)
  return {
    params: { rooms: roomCount, clients_per_room: perRoom, writers_per_room: writersPerRoom, in_flight: inFlight, duration_s: args.duration, writer_cursor_awareness_per_edit: true },
    connect_s: added.seconds,
    connect_failed: added.failed,
    ...cpu,
    updates_per_s: round(updates / window, 3),
    deliveries_per_s: round(deliveries / window, 3),
    server_cpu_us_per_delivery: per(deliveries),
    server_cpu_us_per_update: per(updates),
    server_rss_kb: rss,
    group: { latency: summaryMs(latencies), ...tallyResult(tally) }
  }
}

const SCENARIOS = { join, idle, fanout, throughput }

async function main () {
  const args = parseArgs(process.argv.slice(2))
  const run = SCENARIOS[args.scenario]
  const line = { scenario: args.scenario, server: args.label ?? args.kind, client: 'npm-yjs', ok: false }
  if (!run) {
    line.error = `unknown scenario ${args.scenario} (known: ${Object.keys(SCENARIOS).join(' ')})`
  } else {
    const deadline = setTimeout(() => {
      console.log(JSON.stringify({ ...line, error: `timed out after ${args.timeout} s` }))
      process.exit(1)
    }, args.timeout * 1000)
    try {
      const target = await openTarget(args.kind, args.address)
      line.result = await run(target, args)
      line.ok = true
    } catch (err) {
      line.error = String(err.stack ?? err)
    }
    clearTimeout(deadline)
  }
  console.log(JSON.stringify(line))
  process.exit(line.ok ? 0 : 1)
}

main()
