// The live socket of the workspace shown in this tab: one WebSocket to
// /api/v1/workspaces/{ws}/live (authenticated by the session cookie), opened
// again with backoff when it drops and for another workspace. It tells the
// server where the tab is (the workspace, a document, a room), keeps who is
// online where, and hands chat events to the chat store.

import { createEffect, createMemo, createSignal, on, onCleanup, type Accessor } from 'solid-js'
import { liveUrl } from '../api'
import { cleanLocation, locationKey, sortOnline, usersAt, withPresence } from '../lib/chat'
import { detach, discard } from '../lib/sockets'
import type { CallMember, ChatMessage, LiveCommand, LiveEvent, LiveLocation, OnlineUser, Room } from '../types'

export type LiveState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'closed'

/** Events for the chat store (everything but welcome, presence and errors). */
export type ChatEvent = Extract<LiveEvent, { type: 'message' | 'message_edited' | 'message_deleted' | 'typing' | 'room' }>

export interface LiveOptions {
  /** The workspace shown; null closes the socket. */
  workspaceId: Accessor<string | null>
  /** Where this tab is now (sent on open and on every change). */
  location: Accessor<LiveLocation>
  onEvent: (event: ChatEvent) => void
  /** After each welcome; `again` when an earlier connection of this workspace had one (events may have been missed). */
  onWelcome?: (again: boolean) => void
  /** The socket closed (typing and presence shown are stale). */
  onDisconnect?: () => void
  url?: (workspaceId: string) => string
  WebSocketImpl?: typeof WebSocket
  /** Delay before reconnect attempt `n` (0-based), in ms. */
  backoff?: (attempt: number) => number
}

export interface LiveStore {
  state: Accessor<LiveState>
  /** The signed-in user as the server knows them (from its welcome). */
  selfId: Accessor<string | null>
  /** Everyone with a tab in the workspace, by name. */
  online: Accessor<OnlineUser[]>
  /** Why the server ended access for good (close 1008), if it did. */
  closedReason: Accessor<string | null>
  /** Who is in each room's call now (rooms without a call are absent). */
  calls: Accessor<Record<string, CallMember[]>>
  /** Sends a frame; false when the socket is not open (the frame is dropped). */
  send: (command: LiveCommand) => boolean
  usersAt: (location: LiveLocation) => OnlineUser[]
}

/** Exponential backoff with jitter: about 0.5 s, 1 s, 2 s … up to 30 s. */
export function backoffDelay (attempt: number, random: number = Math.random()): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 16))
  return Math.round(base * (0.75 + random * 0.5))
}

/**
 * Closes after which reconnecting cannot help (1008: access ended — signed
 * out, session expired, removed from the workspace): words for them, else
 * null. A 1008 for sending too fast is worth another try later.
 */
export function liveCloseWords (code: number, reason: string): string | null {
  if (code !== 1008 || /rate limit/i.test(reason)) return null
  return reason ? `Disconnected: ${reason}.` : 'You no longer have access to this workspace.'
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isMessage = (v: unknown): boolean => {
  const m = v as Record<string, unknown> | null
  return !!m && typeof m === 'object' && isString(m.id) && isString(m.room_id) && isString(m.author_id) &&
    isString(m.text) && typeof m.created_at === 'number'
}
const isRoom = (v: unknown): boolean => {
  const r = v as Record<string, unknown> | null
  return !!r && typeof r === 'object' && isString(r.id) && isString(r.name) && typeof r.archived === 'boolean'
}

function messageOf (m: Partial<ChatMessage> & ChatMessage): ChatMessage {
  return {
    ...m,
    author_name: isString(m.author_name) ? m.author_name : m.author_id.slice(0, 8),
    mentions: Array.isArray(m.mentions) ? m.mentions.filter(isString) : [],
    edited_at: typeof m.edited_at === 'number' ? m.edited_at : null
  }
}

function onlineUser (v: unknown): OnlineUser | null {
  const u = v as Record<string, unknown> | null
  if (!u || typeof u !== 'object' || !isString(u.user_id)) return null
  const locations = Array.isArray(u.locations) ? u.locations.map(cleanLocation).filter((l): l is LiveLocation => l !== null) : []
  return { user_id: u.user_id, name: isString(u.name) && u.name ? u.name : u.user_id.slice(0, 8), locations }
}

/** A server frame checked for the fields this client reads; null when it is not one it knows. */
export function parseLiveEvent (data: unknown): LiveEvent | null {
  let frame: Record<string, unknown>
  try {
    frame = typeof data === 'string' ? JSON.parse(data) : null
  } catch {
    return null
  }
  if (!frame || typeof frame !== 'object') return null
  switch (frame.type) {
    case 'welcome':
      if (!isString(frame.user_id)) return null
      return {
        type: 'welcome',
        user_id: frame.user_id,
        online: (Array.isArray(frame.online) ? frame.online : []).map(onlineUser).filter((u): u is OnlineUser => u !== null)
      }
    case 'presence': {
      const user = onlineUser(frame)
      return user ? { type: 'presence', ...user } : null
    }
    case 'message':
    case 'message_edited':
      if (!isMessage(frame.message)) return null
      return { type: frame.type, message: messageOf(frame.message as Partial<ChatMessage> & ChatMessage) }
    case 'message_deleted':
      if (!isString(frame.room_id) || !isString(frame.message_id)) return null
      return { type: 'message_deleted', room_id: frame.room_id, message_id: frame.message_id }
    case 'typing':
      if (!isString(frame.room_id) || !Array.isArray(frame.users)) return null
      return {
        type: 'typing',
        room_id: frame.room_id,
        users: frame.users
          .filter((u): u is { user_id: string, name?: unknown } => !!u && isString((u as { user_id?: unknown }).user_id))
          .map((u) => ({ user_id: u.user_id, name: isString(u.name) && u.name ? u.name : u.user_id.slice(0, 8) }))
      }
    case 'room':
      return isRoom(frame.room) ? { type: 'room', room: frame.room as Room } : null
    case 'call':
      if (!isString(frame.room_id) || !Array.isArray(frame.participants)) return null
      return {
        type: 'call',
        room_id: frame.room_id,
        participants: frame.participants
          .filter((p): p is { user_id: string, name?: unknown } => !!p && isString((p as { user_id?: unknown }).user_id))
          .map((p) => ({ user_id: p.user_id, name: isString(p.name) ? p.name : p.user_id.slice(0, 8) }))
      }
    case 'error':
      return { type: 'error', code: isString(frame.code) ? frame.code : 'error', message: isString(frame.message) ? frame.message : '' }
    default:
      return null
  }
}

export function createLive (opts: LiveOptions): LiveStore {
  const Impl = opts.WebSocketImpl ?? (typeof WebSocket === 'undefined' ? undefined : WebSocket)
  const urlOf = opts.url ?? ((ws: string) => liveUrl(ws))
  const backoff = opts.backoff ?? ((n: number) => backoffDelay(n))

  const [state, setState] = createSignal<LiveState>('connecting')
  const [selfId, setSelfId] = createSignal<string | null>(null)
  const [online, setOnline] = createSignal<OnlineUser[]>([])
  const [closedReason, setClosedReason] = createSignal<string | null>(null)
  const [calls, setCalls] = createSignal<Record<string, CallMember[]>>({})

  let socket: WebSocket | null = null
  let workspace: string | null = null
  let attempt = 0
  let welcomed = false
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let sentLocation: string | null = null
  let browserOnline = typeof navigator === 'undefined' ? true : navigator.onLine !== false

  const sendRaw = (command: LiveCommand): boolean => {
    if (!socket || socket.readyState !== 1) return false
    try {
      socket.send(JSON.stringify(command))
      return true
    } catch {
      return false
    }
  }

  const sendLocation = () => {
    const location = opts.location()
    const key = locationKey(location)
    if (key === sentLocation) return
    if (sendRaw({ type: 'location', location })) sentLocation = key
  }


  const disconnected = () => {
    setOnline([])
    setCalls({})
    opts.onDisconnect?.()
  }

  const scheduleReconnect = () => {
    clearTimeout(retryTimer)
    if (!workspace || closedReason() !== null) return
    if (!browserOnline) {
      setState('offline')
      return
    }
    setState(welcomed ? 'reconnecting' : 'connecting')
    const delay = backoff(attempt)
    attempt += 1
    retryTimer = setTimeout(connect, delay)
  }

  const connect = () => {
    clearTimeout(retryTimer)
    if (!workspace || !Impl || closedReason() !== null) return
    if (socket) {
      discard(socket)
      socket = null
    }
    sentLocation = null
    const ws = new Impl(urlOf(workspace))
    socket = ws
    ws.onopen = () => { sendLocation() }
    ws.onmessage = (e: MessageEvent) => {
      const event = parseLiveEvent(e.data)
      if (!event) return
      switch (event.type) {
        case 'welcome': {
          const again = welcomed
          welcomed = true
          attempt = 0
          setSelfId(event.user_id)
          setOnline(sortOnline(event.online))
          setState('connected')
          opts.onWelcome?.(again)
          break
        }
        case 'presence':
          setOnline((prev) => withPresence(prev, { user_id: event.user_id, name: event.name, locations: event.locations }))
          break
        case 'call':
          setCalls((prev) => {
            const next = { ...prev }
            if (event.participants.length > 0) next[event.room_id] = event.participants
            else delete next[event.room_id]
            return next
          })
          break
        case 'error':
          // A frame of ours was not understood; the socket stays open.
          console.warn(`live socket: ${event.code}: ${event.message}`)
          break
        default:
          opts.onEvent(event)
      }
    }
    ws.onclose = (e: CloseEvent) => {
      if (socket !== ws) return
      socket = null
      detach(ws)
      disconnected()
      const words = liveCloseWords(e.code, e.reason)
      if (words) {
        setClosedReason(words)
        setState('closed')
        return
      }
      scheduleReconnect()
    }
    ws.onerror = () => { /* a close follows */ }
  }

  const stop = () => {
    clearTimeout(retryTimer)
    if (socket) {
      const ws = socket
      socket = null
      discard(ws)
      disconnected()
    }
  }

  // Another workspace: a new socket (and a new welcome).
  const workspaceId = createMemo(opts.workspaceId)
  createEffect(on(workspaceId, (ws) => {
    stop()
    workspace = ws
    welcomed = false
    attempt = 0
    setClosedReason(null)
    setSelfId(null)
    if (ws) {
      setState('connecting')
      connect()
    } else {
      setState('closed')
    }
  }))

  // Every navigation: tell the server where this tab is now.
  createEffect(on(() => locationKey(opts.location()), () => sendLocation(), { defer: true }))

  // The browser knows about a lost network before the socket does.
  const onBrowserOnline = () => {
    browserOnline = true
    if (!socket && workspace && closedReason() === null) {
      attempt = 0
      connect()
    }
  }
  const onBrowserOffline = () => {
    browserOnline = false
    if (socket) {
      const ws = socket
      socket = null
      discard(ws)
      disconnected()
    }
    clearTimeout(retryTimer)
    if (workspace && closedReason() === null) setState('offline')
  }
  if (typeof window !== 'undefined') {
    window.addEventListener('online', onBrowserOnline)
    window.addEventListener('offline', onBrowserOffline)
  }
  onCleanup(() => {
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', onBrowserOnline)
      window.removeEventListener('offline', onBrowserOffline)
    }
    workspace = null
    stop()
  })

  return {
    state,
    selfId,
    online,
    closedReason,
    calls,
    send: sendRaw,
    usersAt: (location) => usersAt(online(), location)
  }
}
