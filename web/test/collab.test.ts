import { createRoot } from 'solid-js'
import { afterEach, describe, expect, it } from 'vitest'
import { createCollab, peersFrom, peopleFrom, terminalCloseWords, type CollabStore } from '../src/stores/collab'
import { PALETTE } from '../src/lib/colors'

/** A WebSocket that never connects: the provider stays "connecting". */
class SilentSocket {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  readonly CONNECTING = 0
  readonly OPEN = 1
  readyState = 0
  binaryType = 'arraybuffer'
  onopen: (() => void) | null = null
  onclose: (() => void) | null = null
  onmessage: (() => void) | null = null
  onerror: (() => void) | null = null
  constructor (public url: string) { sockets.push(this) }
  send () {}
  close () {}
}
let sockets: SilentSocket[] = []

describe('awareness → presence', () => {
  it('reads peers from awareness states, ignoring states without a user', () => {
    const states = new Map<number, Record<string, unknown>>([
      [5, { user: { id: 'u2', name: 'Bob', color: '#1c7ed6', idle: true } }],
      [3, { user: { id: 'u1', name: 'Ada', color: 'javascript:alert(1)' } }],
      [9, { selection: null }],
      [7, { user: { id: 'u2', name: 'Bob', color: '#1c7ed6', idle: false } }]
    ])
    const peers = peersFrom(states, 3)
    expect(peers.map((p) => p.clientId)).toEqual([3, 5, 7])
    expect(peers[0].self).toBe(true)
    expect(PALETTE).toContain(peers[0].color) // a bad colour is replaced
    const people = peopleFrom(peers)
    expect(people.map((p) => p.name)).toEqual(['Ada', 'Bob'])
    expect(people[1].clientIds).toEqual([5, 7])
    expect(people[1].idle).toBe(false) // one active tab is enough
  })
})

describe('server-vouched presence', () => {
  it('shows a relayed state as the user the server names, not the name it claims', () => {
    const states = new Map<number, Record<string, unknown>>([
      // Mallory claims to be Ada; the server says the state came from u3.
      [9, { user: { id: 'u1', name: 'Ada' }, reynardUserId: 'u3' }],
      [4, { user: { id: 'u2', name: 'Bob' }, reynardUserId: 'u2' }],
      // The local state is not relayed back: it has no server id.
      [1, { user: { id: 'u1', name: 'Ada' } }]
    ])
    const names: Record<string, string> = { u2: 'Bob Builder', u3: 'Mallory' }
    const peers = peersFrom(states, 1, (id) => names[id])
    expect(peers.map((p) => [p.clientId, p.userId, p.name])).toEqual([
      [1, 'u1', 'Ada'],
      [4, 'u2', 'Bob Builder'],
      [9, 'u3', 'Mallory']
    ])
    // Without the members list, the claimed name shows, still under the server's id.
    expect(peersFrom(states, 1)[2]).toMatchObject({ userId: 'u3', name: 'Ada' })
  })
})

describe('createCollab', () => {
  let collab: CollabStore | null = null
  let dispose: (() => void) | null = null
  afterEach(() => {
    collab?.destroy()
    dispose?.()
    sockets = []
  })

  it('connects to /collab/<doc> without a token in the URL, publishes the user, counts offline edits', () => {
    collab = createRoot((d) => {
      dispose = d
      return createCollab({
        docId: 'doc-1',
        user: { id: 'u1', name: 'Ada' },
        url: 'ws://host/collab',
        WebSocketPolyfill: SilentSocket as unknown as typeof WebSocket
      })
    })
    expect(sockets[0].url).toBe('ws://host/collab/doc-1')
    expect(collab.state()).toBe('connecting')
    const local = collab.awareness.getLocalState() as { user: { name: string, color: string, idle: boolean } }
    expect(local.user.name).toBe('Ada')
    expect(local.user.idle).toBe(false)
    expect(collab.people().map((p) => p.name)).toEqual(['Ada'])

    collab.text.insert(0, 'hello')
    collab.text.insert(5, ' world')
    expect(collab.pending()).toBe(2)

    // Connected and synced: nothing pending any more.
    collab.provider.emit('status', [{ status: 'connected' }])
    collab.provider.emit('sync', [true])
    expect(collab.state()).toBe('connected')
    expect(collab.pending()).toBe(0)

    // Dropped: reconnecting (it was connected before).
    collab.provider.emit('sync', [false])
    collab.provider.emit('status', [{ status: 'disconnected' }])
    expect(collab.state()).toBe('reconnecting')
    collab.provider.emit('closed', [{ code: 4403, reason: 'access revoked' }, collab.provider])
    expect(collab.state()).toBe('closed')
    expect(collab.closedReason()).toBe('access revoked')
  })
})

describe('closes of the document connection', () => {
  it('stops for good only when reconnecting cannot help', () => {
    expect(terminalCloseWords(1001, 'document deleted')).toBe('This document was deleted.')
    expect(terminalCloseWords(1001, 'server shutting down')).toBeNull()
    expect(terminalCloseWords(1009, 'message over 8388608 bytes')).toMatch(/too large \(message over/)
    expect(terminalCloseWords(1013, 'too slow: reconnect to resync')).toBeNull()
    expect(terminalCloseWords(1008, 'rate limit exceeded')).toBeNull()
    expect(terminalCloseWords(1006, '')).toBeNull()
  })
})
