import { createRoot, createSignal } from 'solid-js'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { liveUrl } from '../src/api'
import { backoffDelay, createLive, liveCloseWords, parseLiveEvent, type ChatEvent, type LiveStore } from '../src/stores/live'
import type { LiveLocation } from '../src/types'
import { chatMessage } from './fakes'
import { FakeSocket } from './rtcFakes'

const welcome = (online: unknown[] = []) => ({ type: 'welcome', user_id: 'u1', online })

describe('the live socket', () => {
  let dispose: (() => void) | undefined
  beforeEach(() => {
    FakeSocket.all = []
    vi.useFakeTimers()
  })
  afterEach(() => {
    dispose?.()
    dispose = undefined
    vi.useRealTimers()
  })

  function setup () {
    const [workspaceId, setWorkspaceId] = createSignal<string | null>('w1')
    const [location, setLocation] = createSignal<LiveLocation>({ kind: 'workspace' })
    const events: ChatEvent[] = []
    const welcomes: boolean[] = []
    const onDisconnect = vi.fn()
    const live = createRoot((d) => {
      dispose = d
      return createLive({
        workspaceId,
        location,
        onEvent: (e) => events.push(e),
        onWelcome: (again) => welcomes.push(again),
        onDisconnect,
        url: (ws) => `ws://test/api/v1/workspaces/${ws}/live`,
        WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
        backoff: (n) => 100 * (n + 1)
      })
    }) as LiveStore
    return { live, events, welcomes, onDisconnect, setWorkspaceId, setLocation }
  }

  it('opens one socket for the workspace and says where the tab is, on open and on every navigation', () => {
    const { live, setLocation } = setup()
    expect(FakeSocket.all).toHaveLength(1)
    const socket = FakeSocket.last()
    expect(socket.url).toBe('ws://test/api/v1/workspaces/w1/live')
    expect(live.state()).toBe('connecting')
    socket.open()
    expect(socket.sent).toEqual([{ type: 'location', location: { kind: 'workspace' } }])
    setLocation({ kind: 'document', id: 'd1' })
    setLocation({ kind: 'document', id: 'd1' })
    setLocation({ kind: 'room', id: 'r1' })
    expect(socket.sent.slice(1)).toEqual([
      { type: 'location', location: { kind: 'document', id: 'd1' } },
      { type: 'location', location: { kind: 'room', id: 'r1' } }
    ])
    expect(live.send({ type: 'typing', room_id: 'r1' })).toBe(true)
    expect(socket.sent[3]).toEqual({ type: 'typing', room_id: 'r1' })
  })

  it('keeps who is online where, and hands chat events on', () => {
    const { live, events, welcomes } = setup()
    const socket = FakeSocket.last()
    socket.open()
    socket.receive(welcome([
      { user_id: 'u2', name: 'Bob', locations: [{ kind: 'room', id: 'r1' }] },
      { user_id: 'u1', name: 'Ada', locations: [{ kind: 'workspace' }, { kind: 'bogus' }] }
    ]))
    expect(live.state()).toBe('connected')
    expect(live.selfId()).toBe('u1')
    expect(welcomes).toEqual([false])
    expect(live.online().map((u) => u.name)).toEqual(['Ada', 'Bob'])
    expect(live.online()[0].locations).toEqual([{ kind: 'workspace' }])
    expect(live.usersAt({ kind: 'room', id: 'r1' }).map((u) => u.name)).toEqual(['Bob'])

    socket.receive({ type: 'presence', user_id: 'u3', name: 'Cy', locations: [{ kind: 'document', id: 'd1' }] })
    socket.receive({ type: 'presence', user_id: 'u2', name: 'Bob', locations: [] })
    expect(live.online().map((u) => u.name)).toEqual(['Ada', 'Cy'])

    const message = chatMessage(1)
    socket.receive({ type: 'message', message })
    socket.receive({ type: 'typing', room_id: 'r1', users: [{ user_id: 'u2', name: 'Bob' }] })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    socket.receive({ type: 'error', code: 'bad_frame', message: 'not understood' })
    expect(warn).toHaveBeenCalledWith('live socket: bad_frame: not understood')
    warn.mockRestore()
    socket.receive('not json')
    socket.receive({ type: 'unknown' })
    expect(events).toEqual([
      { type: 'message', message },
      { type: 'typing', room_id: 'r1', users: [{ user_id: 'u2', name: 'Bob' }] }
    ])
  })

  it('keeps who is in each room\'s call, and forgets it when the socket drops', () => {
    const { live, events } = setup()
    const socket = FakeSocket.last()
    socket.open()
    socket.receive(welcome([]))
    socket.receive({ type: 'call', room_id: 'r1', participants: [{ user_id: 'u1', name: 'Ada' }, { user_id: 'u2', name: 'Bo' }] })
    socket.receive({ type: 'call', room_id: 'r2', participants: [{ user_id: 'u3', name: 'Cy' }] })
    expect(live.calls()).toEqual({ r1: [{ user_id: 'u1', name: 'Ada' }, { user_id: 'u2', name: 'Bo' }], r2: [{ user_id: 'u3', name: 'Cy' }] })
    socket.receive({ type: 'call', room_id: 'r1', participants: [] })
    expect(live.calls()).toEqual({ r2: [{ user_id: 'u3', name: 'Cy' }] })
    expect(events).toEqual([])
    socket.drop(1006)
    expect(live.calls()).toEqual({})
  })

  it('reconnects with backoff and says so after the next welcome', () => {
    const { live, welcomes, onDisconnect } = setup()
    FakeSocket.last().open()
    FakeSocket.last().receive(welcome([{ user_id: 'u1', name: 'Ada', locations: [{ kind: 'workspace' }] }]))
    FakeSocket.last().drop(1006)
    expect(onDisconnect).toHaveBeenCalledTimes(1)
    expect(live.online()).toEqual([])
    expect(live.state()).toBe('reconnecting')
    expect(live.send({ type: 'typing', room_id: 'r1' })).toBe(false)
    vi.advanceTimersByTime(99)
    expect(FakeSocket.all).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.all).toHaveLength(2)
    // refused again: waits longer
    FakeSocket.last().drop(1006)
    vi.advanceTimersByTime(199)
    expect(FakeSocket.all).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.all).toHaveLength(3)
    FakeSocket.last().open()
    expect(FakeSocket.last().sent).toEqual([{ type: 'location', location: { kind: 'workspace' } }])
    FakeSocket.last().receive(welcome())
    expect(welcomes).toEqual([false, true])
    expect(live.state()).toBe('connected')
    // the backoff starts over after a welcome
    FakeSocket.last().drop(1013)
    vi.advanceTimersByTime(100)
    expect(FakeSocket.all).toHaveLength(4)
  })

  it('stops for good when access ends (1008), with the reason', () => {
    const { live } = setup()
    FakeSocket.last().open()
    FakeSocket.last().receive(welcome())
    FakeSocket.last().drop(1008, 'removed from the workspace')
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.all).toHaveLength(1)
    expect(live.state()).toBe('closed')
    expect(live.closedReason()).toBe('Disconnected: removed from the workspace.')
  })

  it('opens a new socket for another workspace and closes it when none is shown', () => {
    const { live, setWorkspaceId } = setup()
    const first = FakeSocket.last()
    first.open()
    setWorkspaceId('w2')
    expect(first.closedWith).toBe(1000)
    expect(FakeSocket.all).toHaveLength(2)
    expect(FakeSocket.last().url).toContain('/workspaces/w2/live')
    // still connecting: closed once it opens (closing it now would be reported as an error)
    setWorkspaceId(null)
    expect(FakeSocket.last().closedWith).toBeUndefined()
    FakeSocket.last().open()
    expect(FakeSocket.last().closedWith).toBe(1000)
    expect(FakeSocket.last().sent).toEqual([])
    expect(live.state()).toBe('closed')
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.all).toHaveLength(2)
  })

  it('closes when the component goes away', () => {
    setup()
    FakeSocket.last().open()
    dispose?.()
    dispose = undefined
    expect(FakeSocket.last().closedWith).toBe(1000)
  })
})

describe('live frames', () => {
  it('are checked for the fields the client reads', () => {
    expect(parseLiveEvent('{')).toBeNull()
    expect(parseLiveEvent(JSON.stringify({ type: 'message', message: { id: 'm1' } }))).toBeNull()
    expect(parseLiveEvent(JSON.stringify({ type: 'message_deleted', room_id: 'r1' }))).toBeNull()
    expect(parseLiveEvent(JSON.stringify({ type: 'room', room: { id: 'r1', name: 'x', archived: false } }))).not.toBeNull()
    const m = { id: 'm1', room_id: 'r1', author_id: 'u1', text: 'hi', created_at: 1 }
    expect(parseLiveEvent(JSON.stringify({ type: 'message_edited', message: m }))).toEqual({
      type: 'message_edited',
      message: { ...m, author_name: 'u1', mentions: [], edited_at: null }
    })
    expect(parseLiveEvent(JSON.stringify({ type: 'typing', room_id: 'r1', users: [{ user_id: 'u2' }, { nope: 1 }] }))).toEqual({
      type: 'typing', room_id: 'r1', users: [{ user_id: 'u2', name: 'u2' }]
    })
  })

  it('go to the workspace\'s socket on the page origin, with no token', () => {
    expect(liveUrl('w 1', { protocol: 'https:', host: 'r.example.org' } as Location)).toBe('wss://r.example.org/api/v1/workspaces/w%201/live')
    expect(liveUrl('w1', { protocol: 'http:', host: '127.0.0.1:8080' } as Location)).toBe('ws://127.0.0.1:8080/api/v1/workspaces/w1/live')
  })

  it('back off up to 30 s, and give up only when access ended', () => {
    expect(backoffDelay(0, 0.5)).toBe(500)
    expect(backoffDelay(3, 0.5)).toBe(4000)
    expect(backoffDelay(30, 1)).toBe(37_500)
    expect(backoffDelay(30, 0)).toBe(22_500)
    expect(liveCloseWords(1008, '')).toMatch(/no longer have access/)
    expect(liveCloseWords(1008, 'signed out')).toBe('Disconnected: signed out.')
    expect(liveCloseWords(1008, 'rate limit exceeded')).toBeNull()
    expect(liveCloseWords(1013, 'slow')).toBeNull()
    expect(liveCloseWords(1006, '')).toBeNull()
  })
})
