// Scale-out with stock clients: three `reynard serve` processes on one
// PostgreSQL schema with Redis between them (REYNARD_TEST_DATABASE_URL and
// REYNARD_TEST_REDIS_URL; skipped without them). y-websocket clients spread
// over them edit concurrently and converge, with every edit stored; awareness
// crosses processes; one process is killed with SIGKILL: its clients
// reconnect to the other and lose nothing, and the awareness of a client that
// does not come back disappears from the survivors.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'

import {
  cleanup,
  connectClient,
  createDocument,
  createWorkspace,
  getContent,
  openClient,
  signup,
  startServer,
  waitConverged,
  waitFor
} from '../lib/harness.js'

after(cleanup)

const DATABASE = process.env.REYNARD_TEST_DATABASE_URL
const REDIS = process.env.REYNARD_TEST_REDIS_URL

/** A PostgreSQL schema of its own, as a database URL. */
function freshSchema () {
  const schema = `t_interop_${process.pid}_${Date.now()}`
  execFileSync('psql', [DATABASE, '-qc', `CREATE SCHEMA ${schema}`])
  const sep = DATABASE.includes('?') ? '&' : '?'
  return `${DATABASE}${sep}options=-c%20search_path%3D${schema}`
}

test('stock clients on three processes converge, survive a SIGKILL, and lose the ghost', { skip: !(DATABASE && REDIS) && 'needs REYNARD_TEST_DATABASE_URL and REYNARD_TEST_REDIS_URL' }, async () => {
  const databaseUrl = freshSchema()
  const args = ['--database-url', databaseUrl, '--redis-url', REDIS, '--redis-prefix', `interop-${process.pid}-${Date.now()}`]
  const a = await startServer({ args })
  const b = await startServer({ args })
  const c = await startServer({ args })

  const owner = await signup(a, 'Owner')
  const workspace = await createWorkspace(a, owner)
  const doc = await createDocument(a, owner, workspace.id, 'scale/out.txt')

  const onA = [await connectClient(a, doc.id, owner, { label: 'a1' }), await connectClient(a, doc.id, owner, { label: 'a2' })]
  const onB = [await connectClient(b, doc.id, owner, { label: 'b1' }), await connectClient(b, doc.id, owner, { label: 'b2' })]
  const onC = [await connectClient(c, doc.id, owner, { label: 'c1' })]
  const everyone = [...onA, ...onB, ...onC]

  // Concurrent edits from both processes.
  for (let round = 0; round < 10; round++) {
    for (const client of everyone) client.text.insert(0, `${client.label}-${round};`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const text = await waitConverged(everyone, { timeout: 15_000 })
  assert.equal(text.split(';').length - 1, 50)
  for (const server of [a, b, c]) assert.equal(await getContent(server, owner, doc.id), text)

  // Awareness crosses processes: b1 sees a2's cursor state.
  const ghost = onA[1]
  ghost.awareness.setLocalStateField('user', { name: 'ghost' })
  await waitFor(() => onB[0].awareness.getStates().get(ghost.doc.clientID)?.user?.name === 'ghost', {
    message: 'b1 to see a2 on the other process'
  })

  // A dies mid-stream: a1 keeps typing, then reconnects to B with its document.
  onA[0].text.insert(0, 'last-on-a;')
  await a.kill()
  onA[0].text.insert(0, 'while-down;')
  onA[0].provider.destroy()
  const back = openClient(b, doc.id, owner, { label: 'a1-again', doc: onA[0].doc })
  await back.synced()
  const final = await waitConverged([back, ...onB, ...onC], { timeout: 15_000 })
  for (const marker of ['last-on-a;', 'while-down;', ...text.split(';').filter(Boolean).map((m) => m + ';')]) {
    assert.ok(final.includes(marker), `${marker} is kept`)
  }
  assert.equal(await getContent(b, owner, doc.id), final, 'B stored everything')

  // a2 never comes back: its state leaves b1's awareness once A is taken for
  // dead (15 s of silence), sooner than y-protocols' own 30 s timeout.
  const started = Date.now()
  await waitFor(() => !onB[0].awareness.getStates().has(ghost.doc.clientID), {
    timeout: 28_000,
    interval: 200,
    message: 'the ghost to leave b1'
  })
  assert.ok(Date.now() - started < 28_000)
})
