// The crash test: the server echoes an update to the clients only once it is
// durably stored, so whatever one client has received from another must
// survive a SIGKILL of the server in the middle of a stream of edits.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'

import {
  addMember,
  cleanup,
  connectClient,
  createDocument,
  createWorkspace,
  destroyClients,
  makeDataDir,
  request,
  signup,
  sleep,
  startServer,
  waitFor
} from '../lib/harness.js'

const WRITERS = 3
const INSERTS_PER_WRITER = 200
/** SIGKILL once the observer has seen this many markers (of WRITERS × INSERTS_PER_WRITER). */
const KILL_AFTER_SEEN = 150
const MARKER = /w(\d+)-(\d+);/g
const WHOLE_TEXT = /^(w\d+-\d+;)*$/

after(cleanup)

/** Markers in a text, as a Set of strings like "w1-17;". */
function markersIn (text) {
  return new Set(text.match(MARKER) ?? [])
}

/** A position in `text` that never splits a marker: 0, the end, or right after a ';'. */
function boundary (text) {
  const r = Math.random()
  if (r < 0.3 || text.length === 0) return 0
  if (r < 0.6) return text.length
  const cuts = []
  for (let i = text.indexOf(';'); i !== -1; i = text.indexOf(';', i + 1)) cuts.push(i + 1)
  return cuts[Math.floor(Math.random() * cuts.length)]
}

test('every edit another client received survives a SIGKILL of the server', async (t) => {
  const dataDir = makeDataDir()
  const server = await startServer({ dataDir })

  const owner = await signup(server, 'Owner')
  const workspace = await createWorkspace(server, owner)
  const doc = await createDocument(server, owner, workspace.id, 'crash/test.txt')
  const users = [owner]
  for (let w = 1; w < WRITERS; w++) {
    const editor = await signup(server, `Writer${w}`)
    await addMember(server, owner, workspace.id, editor, 'editor')
    users.push(editor)
  }

  const seen = new Set()
  let seenAtKill = 0
  const inserted = []
  const stop = { now: false }
  let killedAt = 0

  try {
    // The observer never edits: what it holds came through the server, which
    // broadcasts an update only after it is durably stored.
    const observer = await connectClient(server, doc.id, owner, { label: 'observer' })
    observer.text.observe(() => {
      for (const m of markersIn(observer.str())) seen.add(m)
    })
    const writers = []
    for (let w = 0; w < WRITERS; w++) {
      writers.push(await connectClient(server, doc.id, users[w], { label: `w${w}` }))
    }

    const write = async (client, w) => {
      for (let n = 0; n < INSERTS_PER_WRITER && !stop.now; n++) {
        const marker = `w${w}-${n};`
        client.text.insert(boundary(client.str()), marker)
        inserted.push(marker)
        await sleep(1 + Math.floor(Math.random() * 6))
      }
    }
    const writing = Promise.all(writers.map((client, w) => write(client, w)))

    await waitFor(() => seen.size >= KILL_AFTER_SEEN, {
      timeout: 30_000,
      interval: 2,
      message: () => `the observer to see ${KILL_AFTER_SEEN} markers (seen ${seen.size}, inserted ${inserted.length}, ` +
        `closes ${JSON.stringify(writers.map((c) => c.closes))})`
    })
    seenAtKill = seen.size
    const insertedAtKill = inserted.length
    killedAt = Date.now()
    const exit = await server.kill()
    assert.equal(exit.signal, 'SIGKILL')
    t.diagnostic(`killed with ${insertedAtKill} markers inserted, ${seenAtKill} seen by the observer`)
    assert.ok(insertedAtKill < WRITERS * INSERTS_PER_WRITER, 'the writers had already finished: the kill was not mid-stream')

    // Frames the server sent before it died may still be read: they were
    // durable too. Take the observer's view once its socket is closed.
    await waitFor(() => !observer.provider.wsconnected, { message: 'the observer to notice the crash' })
    stop.now = true
    await writing
    // Nothing was closed by the server before the crash (rate limits, errors).
    for (const c of [observer, ...writers]) {
      const serverCloses = c.closes.filter((e) => !e.local && e.code !== 1006)
      assert.deepEqual(serverCloses, [], `${c.label} was closed by the server before the crash`)
    }
  } finally {
    destroyClients()
    await server.kill()
  }

  // Restart on the same data directory (new port).
  const restarted = await startServer({ dataDir })
  t.diagnostic(`restarted ${Date.now() - killedAt} ms after the kill`)

  // Sessions live in the database: the token from before the crash still works.
  const res = await request(restarted, 'GET', `/api/v1/documents/${doc.id}/content`, { token: owner.token })
  assert.equal(res.status, 200, `GET content after restart: ${res.status} ${res.body}`)
  const content = res.body
  assert.match(content, WHOLE_TEXT, 'the restored text is not made of whole markers')
  const restored = markersIn(content)
  assert.equal(content.length, [...restored].reduce((n, m) => n + m.length, 0), 'the restored text holds a marker twice')

  const lost = [...seen].filter((m) => !restored.has(m)).sort()
  t.diagnostic(`observer saw ${seen.size}, restored ${restored.size}, inserted ${inserted.length}, ` +
    `acknowledged-but-lost ${lost.length}`)
  assert.deepEqual(lost, [], `markers another client had received were lost in the crash: ${lost.join(' ')}`)

  // Each client's updates are applied in order: per writer, the restored
  // markers are 0..k without gaps.
  for (let w = 0; w < WRITERS; w++) {
    const ns = [...restored].filter((m) => m.startsWith(`w${w}-`)).map((m) => Number(m.slice(m.indexOf('-') + 1, -1))).sort((x, y) => x - y)
    ns.forEach((n, i) => assert.equal(n, i, `writer ${w}: restored markers have a gap at ${i}`))
  }

  // A client connecting now gets the same text as the HTTP API.
  const fresh = await connectClient(restarted, doc.id, owner, { label: 'after-restart' })
  try {
    assert.equal(fresh.str(), content)
  } finally {
    fresh.destroy()
    await restarted.stop()
  }
})
