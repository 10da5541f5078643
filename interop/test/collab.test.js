// Stock Yjs / y-websocket clients against a real Reynard server: convergence,
// read-only viewers, late joiners, offline edits, HTTP writes and awareness.

import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'

import {
  addMember,
  cleanup,
  connectClient,
  destroyClients,
  getContent,
  openClient,
  ownerWithDocument,
  putContent,
  request,
  signup,
  sleep,
  startServer,
  waitConverged,
  waitFor
} from '../lib/harness.js'

/** How long "a while" is when checking that something does NOT happen. */
const QUIET_MS = 1500
/** Documents leave memory this long after their last connection closes. */
const IDLE_SECONDS = 1

describe('collaboration over /collab with stock y-websocket clients', () => {
  let server

  before(async () => {
    server = await startServer({ args: ['--doc-idle-seconds', String(IDLE_SECONDS)] })
  })
  afterEach(() => destroyClients())
  after(cleanup)

  test('two providers on different connections converge on concurrent edits', async () => {
    const { owner, workspace, doc } = await ownerWithDocument(server)
    const editor = await signup(server, 'Editor')
    await addMember(server, owner, workspace.id, editor, 'editor')

    const a = await connectClient(server, doc.id, owner, { label: 'A' })
    const b = await connectClient(server, doc.id, editor, { label: 'B' })
    assert.notEqual(a.provider.ws, b.provider.ws)

    const rounds = 12
    const markers = []
    for (let round = 0; round < rounds; round++) {
      // Both insert at position 0 in the same tick: neither has seen the
      // other's insert, so the two edits are truly concurrent.
      const ma = `<A${round}>`
      const mb = `<B${round}>`
      a.text.insert(0, ma)
      b.text.insert(0, mb)
      markers.push(ma, mb)
      // Alternate between letting the round settle and piling rounds up.
      if (round % 3 === 2) await waitConverged([a, b])
      else await sleep(round % 2 ? 0 : 5)
    }

    const final = await waitConverged([a, b])
    for (const m of markers) assert.ok(final.includes(m), `final text lacks ${m}: ${JSON.stringify(final)}`)
    assert.equal(final.length, markers.reduce((n, m) => n + m.length, 0), `unexpected extra text: ${JSON.stringify(final)}`)
    // The server's copy is the same.
    await waitFor(async () => (await getContent(server, owner, doc.id)) === final, {
      message: 'GET content to equal the clients\' text'
    })
  })

  test("a viewer's edits never reach the document or other clients", async () => {
    const { owner, workspace, doc } = await ownerWithDocument(server)
    const viewer = await signup(server, 'Viewer')
    await addMember(server, owner, workspace.id, viewer, 'viewer')

    const editor = await connectClient(server, doc.id, owner, { label: 'editor' })
    const reader = await connectClient(server, doc.id, viewer, { label: 'viewer' })

    editor.text.insert(0, 'shared start. ')
    await waitConverged([editor, reader], { expected: 'shared start. ' })

    const secret = 'VIEWER-WAS-HERE'
    reader.text.insert(reader.text.length, secret)
    assert.ok(reader.str().includes(secret)) // local only

    // The server answers the dropped update with permission-denied.
    await waitFor(() => reader.denied.length > 0, { message: 'an auth permission-denied message to the viewer' })
    await sleep(QUIET_MS)
    assert.ok(!editor.str().includes(secret), `editor received the viewer's edit: ${JSON.stringify(editor.str())}`)
    assert.ok(!(await getContent(server, owner, doc.id)).includes(secret), 'the viewer\'s edit reached the stored document')

    // A client that joins later does not get it either.
    const late = await connectClient(server, doc.id, owner, { label: 'late' })
    await sleep(200)
    assert.equal(late.str(), 'shared start. ')

    // The viewer cannot write through HTTP either.
    const put = await request(server, 'PUT', `/api/v1/documents/${doc.id}/content`, { token: viewer.token, text: secret })
    assert.equal(put.status, 403, `viewer PUT answered ${put.status}: ${put.body}`)

    // The viewer still receives the editors' later edits, on the same connection.
    const socket = reader.provider.ws
    editor.text.insert(editor.text.length, 'editor later.')
    await waitFor(() => reader.str().includes('editor later.'), {
      message: () => `the viewer to receive the editor's later edit (viewer text ${JSON.stringify(reader.str())})`
    })
    assert.equal(reader.provider.ws, socket, 'the viewer was disconnected')
    await sleep(200)
    assert.equal(editor.str(), 'shared start. editor later.')
    assert.equal(late.str(), 'shared start. editor later.')
    assert.equal(await getContent(server, owner, doc.id), 'shared start. editor later.')
  })

  test('a provider joining later gets the full text', async () => {
    const { owner, doc } = await ownerWithDocument(server)
    const a = await connectClient(server, doc.id, owner, { label: 'A' })
    const b = await connectClient(server, doc.id, owner, { label: 'B' })
    for (let i = 0; i < 20; i++) {
      a.text.insert(a.text.length, `a${i} `)
      b.text.insert(0, `b${i} `)
      if (i === 10) a.text.delete(0, 3)
    }
    const full = await waitConverged([a, b])
    assert.ok(full.length > 100)

    // Joins while the document is live in the server.
    const c = await connectClient(server, doc.id, owner, { label: 'C' })
    assert.equal(c.str(), full, 'a synced late joiner must already hold the full text')

    // Joins after everyone left and the document was unloaded from memory:
    // it must be served from storage, not as an empty document.
    destroyClients()
    await sleep(IDLE_SECONDS * 1000 + 1500)
    const d = await connectClient(server, doc.id, owner, { label: 'D' })
    assert.equal(d.str(), full, 'a joiner after the document was unloaded must get the stored text')
    assert.equal(await getContent(server, owner, doc.id), full)
  })

  test('offline edits merge after a reconnect', async () => {
    const { owner, doc } = await ownerWithDocument(server)
    const a = await connectClient(server, doc.id, owner, { label: 'A' })
    const b = await connectClient(server, doc.id, owner, { label: 'B' })
    a.text.insert(0, 'base.')
    await waitConverged([a, b], { expected: 'base.' })

    a.provider.disconnect()
    await waitFor(() => !a.provider.wsconnected && a.provider.ws === null, { message: 'A to disconnect' })

    a.text.insert(0, '[A offline]')
    a.text.insert(a.text.length, '[A offline 2]')
    b.text.insert(5, '[B online]')
    // B's edit is stored and echoed while A is away; A's stays local.
    await sleep(500)
    assert.equal(b.str(), 'base.[B online]')
    assert.equal(a.str(), '[A offline]base.[A offline 2]')
    assert.equal(await getContent(server, owner, doc.id), 'base.[B online]')

    a.provider.connect()
    await a.synced()
    const merged = await waitConverged([a, b])
    for (const part of ['base.', '[A offline]', '[A offline 2]', '[B online]']) {
      assert.ok(merged.includes(part), `merged text lacks ${part}: ${JSON.stringify(merged)}`)
    }
    // '[B online]' and '[A offline 2]' were inserted concurrently at the same
    // place: their order depends on the client ids, the rest does not.
    assert.ok(merged.startsWith('[A offline]base.'), JSON.stringify(merged))
    assert.equal(merged.length, '[A offline]base.[B online][A offline 2]'.length, JSON.stringify(merged))
    await waitFor(async () => (await getContent(server, owner, doc.id)) === merged, {
      message: 'GET content to hold the merged text'
    })
  })

  test('PUT content reaches a connected provider', async () => {
    const { owner, doc } = await ownerWithDocument(server)
    const a = await connectClient(server, doc.id, owner, { label: 'A' })
    a.text.insert(0, 'old text that will be replaced')
    await waitFor(async () => (await getContent(server, owner, doc.id)) === 'old text that will be replaced', {
      message: 'the first edit to be stored'
    })

    const replacement = 'fn main() {\n    println!("héllo, wörld ✓");\n}\n'
    await putContent(server, owner, doc.id, replacement)
    await waitFor(() => a.str() === replacement, {
      message: () => `the provider to receive the PUT (has ${JSON.stringify(a.str())})`
    })
    assert.equal(await getContent(server, owner, doc.id), replacement)

    // The PUT was a CRDT update: the client keeps editing on top of it.
    a.text.insert(a.text.length, '// more\n')
    await waitFor(async () => (await getContent(server, owner, doc.id)) === replacement + '// more\n', {
      message: 'an edit made after the PUT to be stored'
    })

    // A client connecting afterwards sees the same.
    const b = await connectClient(server, doc.id, owner, { label: 'B' })
    assert.equal(b.str(), replacement + '// more\n')
  })

  test("awareness: a second client sees the first one's state, and loses it when the first one leaves", async () => {
    const { owner, doc } = await ownerWithDocument(server)

    const a = openClient(server, doc.id, owner, { label: 'A' })
    a.awareness.setLocalStateField('user', { name: 'A' })
    await a.synced()
    const b = await connectClient(server, doc.id, owner, { label: 'B' })
    b.awareness.setLocalStateField('user', { name: 'B' })

    const aId = a.doc.clientID
    const bId = b.doc.clientID
    await waitFor(() => b.awareness.getStates().get(aId)?.user?.name === 'A', {
      message: () => `B to see A's awareness (B sees ${JSON.stringify([...b.awareness.getStates()])})`
    })
    await waitFor(() => a.awareness.getStates().get(bId)?.user?.name === 'B', {
      message: () => `A to see B's awareness (A sees ${JSON.stringify([...a.awareness.getStates()])})`
    })

    // Updates to a state are relayed too.
    a.awareness.setLocalStateField('user', { name: 'A2' })
    await waitFor(() => b.awareness.getStates().get(aId)?.user?.name === 'A2', { message: 'B to see A\'s renamed state' })

    // A third client joining now is told about both at connect.
    const c = await connectClient(server, doc.id, owner, { label: 'C' })
    await waitFor(() => c.awareness.getStates().get(aId)?.user?.name === 'A2' && c.awareness.getStates().get(bId)?.user?.name === 'B', {
      message: () => `C to receive the current awareness states (C sees ${JSON.stringify([...c.awareness.getStates()])})`
    })

    // A's socket is dropped abruptly: no close frame, no awareness removal
    // from the client. The server must remove A's state itself, well before
    // the 30 s awareness timeout.
    const started = Date.now()
    a.terminate()
    await waitFor(() => !b.awareness.getStates().has(aId) && !c.awareness.getStates().has(aId), {
      timeout: 5000,
      message: () => `A's awareness to be removed from B and C after its socket closed (B: ${JSON.stringify([...b.awareness.getStates()])})`
    })
    const removedAfter = Date.now() - started
    assert.ok(b.awareness.getStates().get(bId), 'B lost its own state')
    assert.equal(c.awareness.getStates().get(bId)?.user?.name, 'B', 'C lost B\'s state')

    // A clean close (destroy) removes the state as well.
    b.destroy()
    await waitFor(() => !c.awareness.getStates().has(bId), {
      timeout: 5000,
      message: () => `B's awareness to be removed from C after B was destroyed (C: ${JSON.stringify([...c.awareness.getStates()])})`
    })
    assert.ok(removedAfter < 5000)
  })
})
