// One live document: a Y.Doc synced over the stock y-websocket provider at
// /collab, the awareness of who is in it, the connection state, and the local
// edits made while disconnected (pending until the next sync).

import { createSignal, type Accessor } from 'solid-js'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import type { Awareness } from 'y-protocols/awareness'
import * as authProtocol from 'y-protocols/auth'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { colorFor, pickColor, safeColor } from '../lib/colors'

/** y-websocket's message type for auth messages. */
const MESSAGE_AUTH = 2

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'closed'

/** One awareness client (a browser tab) in the document. */
export interface Peer {
  clientId: number
  userId: string
  name: string
  color: string
  idle: boolean
  self: boolean
}

/** One person in the document (several tabs count once). */
export interface Person {
  userId: string
  name: string
  color: string
  /** Idle when every tab of theirs is idle. */
  idle: boolean
  self: boolean
  clientIds: number[]
}

export interface CollabOptions {
  docId: string
  user: { id: string, name: string }
  /** ws(s)://host/collab */
  url: string
  WebSocketPolyfill?: typeof WebSocket
  /** Idle after this long without input (ms). */
  idleAfter?: number
  /** The name the workspace knows for a user id (the server vouches for ids, not names). */
  nameOf?: (userId: string) => string | undefined
}

export interface CollabStore {
  doc: Y.Doc
  text: Y.Text
  provider: WebsocketProvider
  awareness: Awareness
  state: Accessor<ConnectionState>
  synced: Accessor<boolean>
  /** Local updates made while not synced with the server. */
  pending: Accessor<number>
  peers: Accessor<Peer[]>
  people: Accessor<Person[]>
  /** The server refused an edit (viewers): its reason. */
  denied: Accessor<string | null>
  /** Why the server closed the connection for good, if it did. */
  closedReason: Accessor<string | null>
  /** Marks the local person active now (resets the idle timer). */
  touch: () => void
  destroy: () => void
}

interface UserState { id?: unknown, name?: unknown, color?: unknown, idle?: unknown }

/**
 * The field the server adds to every awareness state it relays: the id of the
 * signed-in user whose connection announced it. Peers cannot forge it.
 */
export const SERVER_USER_ID = 'reynardUserId'

/**
 * Peers from awareness states (only states that carry a user). A state the
 * server relayed is shown as the user the server says sent it, under the name
 * the workspace knows for them, whatever name the state claims.
 */
export function peersFrom (
  states: Map<number, Record<string, unknown>>,
  selfId: number,
  nameOf?: (userId: string) => string | undefined
): Peer[] {
  const peers: Peer[] = []
  states.forEach((state, clientId) => {
    const user = state.user as UserState | undefined
    if (!user || typeof user !== 'object') return
    const verified = typeof state[SERVER_USER_ID] === 'string' ? state[SERVER_USER_ID] as string : null
    const userId = verified ?? (typeof user.id === 'string' ? user.id : `client-${clientId}`)
    const claimed = typeof user.name === 'string' && user.name.trim() ? user.name.trim().slice(0, 64) : null
    const known = verified != null ? nameOf?.(verified) : undefined
    peers.push({
      clientId,
      userId,
      name: known ?? claimed ?? 'Anonymous',
      color: safeColor(user.color, colorFor(userId)),
      idle: user.idle === true,
      self: clientId === selfId
    })
  })
  return peers.sort((a, b) => a.clientId - b.clientId)
}

/** People from peers: one entry per user, yourself first, then by name. */
export function peopleFrom (peers: readonly Peer[]): Person[] {
  const byUser = new Map<string, Person>()
  for (const peer of peers) {
    const person = byUser.get(peer.userId)
    if (person) {
      person.idle = person.idle && peer.idle
      person.self = person.self || peer.self
      person.clientIds.push(peer.clientId)
    } else {
      byUser.set(peer.userId, {
        userId: peer.userId,
        name: peer.name,
        color: peer.color,
        idle: peer.idle,
        self: peer.self,
        clientIds: [peer.clientId]
      })
    }
  }
  return [...byUser.values()].sort((a, b) =>
    a.self !== b.self ? (a.self ? -1 : 1) : a.name.localeCompare(b.name))
}

/**
 * Words for a close of the document connection that reconnecting would not
 * fix (the server's close codes), or null when the provider should reconnect.
 */
export function terminalCloseWords (code: number, reason: string): string | null {
  if (code === 1001 && /deleted/i.test(reason)) return 'This document was deleted.'
  if (code === 1009) return `The server refused a change that is too large${reason ? ` (${reason})` : ''}. Reload the page to continue.`
  if (code === 1003 || code === 1007) return `The server refused the connection${reason ? ` (${reason})` : ''}.`
  return null
}

export function createCollab (opts: CollabOptions): CollabStore {
  const doc = new Y.Doc()
  const text = doc.getText('monaco')
  const provider = new WebsocketProvider(opts.url, opts.docId, doc, {
    // No token in the URL (proxies log URLs): the session cookie authenticates.
    params: {},
    ...(opts.WebSocketPolyfill ? { WebSocketPolyfill: opts.WebSocketPolyfill } : {})
  })
  const awareness = provider.awareness

  const [status, setStatus] = createSignal<'connecting' | 'connected' | 'disconnected'>('connecting')
  const [everConnected, setEverConnected] = createSignal(false)
  const [synced, setSynced] = createSignal(false)
  const [online, setOnline] = createSignal(typeof navigator === 'undefined' ? true : navigator.onLine !== false)
  const [pending, setPending] = createSignal(0)
  const [peers, setPeers] = createSignal<Peer[]>([])
  const [denied, setDenied] = createSignal<string | null>(null)
  const [closedReason, setClosedReason] = createSignal<string | null>(null)

  const state = (): ConnectionState => {
    if (closedReason() !== null) return 'closed'
    if (status() === 'connected' && synced()) return 'connected'
    if (!online()) return 'offline'
    return everConnected() ? 'reconnecting' : 'connecting'
  }

  // Record the server's permission-denied answers instead of console warnings.
  provider.messageHandlers[MESSAGE_AUTH] = (_encoder: encoding.Encoder, decoder: decoding.Decoder) => {
    authProtocol.readAuthMessage(decoder, doc, (_ydoc, reason) => setDenied(reason || 'permission denied'))
  }

  provider.on('status', ({ status: s }) => {
    setStatus(s)
    if (s === 'connected') setEverConnected(true)
  })
  provider.on('sync', (isSynced: boolean) => {
    setSynced(isSynced)
    if (isSynced) setPending(0)
  })
  provider.on('closed', (event: { code: number, reason: string }) => {
    setClosedReason(event.reason || `The server closed the connection (code ${event.code}).`)
  })
  // Closes after which reconnecting cannot help: stop, and say why.
  provider.on('connection-close', (event: CloseEvent | null) => {
    const words = event ? terminalCloseWords(event.code, event.reason) : null
    if (words) {
      provider.disconnect()
      setClosedReason(words)
    }
  })

  doc.on('update', (_update: Uint8Array, origin: unknown) => {
    if (origin !== provider && !(provider.wsconnected && provider.synced)) setPending((n) => n + 1)
  })

  let color = colorFor(opts.user.id)
  let idle = false
  const publish = () => awareness.setLocalStateField('user', { id: opts.user.id, name: opts.user.name, color, idle })
  const setIdle = (value: boolean) => {
    if (idle === value && awareness.getLocalState()?.user) return
    idle = value
    publish()
  }

  const refreshPeers = () => {
    const list = peersFrom(awareness.getStates() as Map<number, Record<string, unknown>>, doc.clientID, opts.nameOf)
    // Two people with one colour: the one whose id sorts later takes another.
    // Those sorting earlier never move for us, so everybody settles at once.
    const taken = new Set(list.filter((p) => p.userId < opts.user.id).map((p) => p.color))
    const next = pickColor(color, taken)
    if (next !== color) {
      color = next
      publish()
      return // publishing fires 'change' again
    }
    setPeers(list)
  }
  awareness.on('change', refreshPeers)
  setIdle(false)

  const idleAfter = opts.idleAfter ?? 60_000
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  let lastTouch = 0
  const touch = () => {
    const now = Date.now()
    if (idle) setIdle(false)
    if (now - lastTouch < 1000 && idleTimer !== undefined) return
    lastTouch = now
    clearTimeout(idleTimer)
    idleTimer = setTimeout(() => setIdle(true), idleAfter)
  }
  touch()

  // The browser knows about a lost network before the socket times out:
  // close at once (edits made meanwhile count as pending) and reconnect when
  // the network is back.
  const onOnline = () => {
    setOnline(true)
    if (closedReason() === null) provider.connect()
  }
  const onOffline = () => {
    setOnline(false)
    provider.disconnect()
  }
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') setIdle(true)
    else touch()
  }
  const activityEvents = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'focusin'] as const
  if (typeof window !== 'undefined') {
    window.addEventListener('online', onOnline)
    window.addEventListener('offline', onOffline)
    document.addEventListener('visibilitychange', onVisibility)
    for (const type of activityEvents) window.addEventListener(type, touch, { passive: true })
  }

  refreshPeers()

  return {
    doc,
    text,
    provider,
    awareness,
    state,
    synced,
    pending,
    peers,
    people: () => peopleFrom(peers()),
    denied,
    closedReason,
    touch,
    destroy: () => {
      clearTimeout(idleTimer)
      if (typeof window !== 'undefined') {
        window.removeEventListener('online', onOnline)
        window.removeEventListener('offline', onOffline)
        document.removeEventListener('visibilitychange', onVisibility)
        for (const type of activityEvents) window.removeEventListener(type, touch)
      }
      awareness.off('change', refreshPeers)
      provider.destroy()
      doc.destroy()
    }
  }
}
