// The state of rooms and chat as plain data, and how it changes: pages of
// history merged without duplicates, live events applied, unread counts kept,
// who is online where, who is typing, and how often to say that we type. No
// signals here: the chat and live stores hold the state, these functions
// compute the next one (and the tests check them directly).

import type { ChatMessage, LiveCommand, LiveLocation, OnlineUser, Room, RoomUnread, Typist } from '../types'

// ---------------------------------------------------------------- messages

/** A room's loaded history: oldest first. */
export interface History {
  messages: ChatMessage[]
  /** Whether the oldest message of the room is loaded (no older page to ask for). */
  complete: boolean
}

export const EMPTY_HISTORY: History = { messages: [], complete: false }

/** Sorts oldest first; messages of the same millisecond keep their order (stable sort). */
function byTime (messages: ChatMessage[]): ChatMessage[] {
  return messages.sort((a, b) => a.created_at - b.created_at)
}

/**
 * `existing` with `incoming` merged in (any order): each message once, the
 * incoming copy replacing a known one unless the known one is a later edit.
 */
export function mergeMessages (existing: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const out = existing.slice()
  const index = new Map(out.map((m, i) => [m.id, i]))
  const fresh: ChatMessage[] = []
  for (const message of incoming) {
    const at = index.get(message.id)
    if (at === undefined) {
      index.set(message.id, -1)
      fresh.push(message)
    } else if (at >= 0) {
      if ((message.edited_at ?? 0) >= (out[at].edited_at ?? 0)) out[at] = message
    } else {
      // twice in `incoming`: keep the later edit
      const i = fresh.findIndex((m) => m.id === message.id)
      if ((message.edited_at ?? 0) >= (fresh[i].edited_at ?? 0)) fresh[i] = message
    }
  }
  // Pages arrive newest first: put fresh messages of one millisecond oldest first too.
  fresh.sort((a, b) => a.created_at - b.created_at)
  return byTime([...out, ...fresh])
}

/** An older page (newest first, as the server sends it) added before the loaded history. */
export function withOlderPage (history: History, page: readonly ChatMessage[], limit: number): History {
  return {
    messages: mergeMessages(history.messages, page.slice().reverse()),
    complete: page.length < limit
  }
}

/**
 * The newest page (newest first) over what is loaded: the page is the truth
 * for its time span (loaded messages missing from it were deleted), older
 * loaded messages stay. When the page does not overlap what is loaded (more
 * messages were missed than a page holds), the loaded ones are dropped: no
 * gap is ever shown.
 */
export function withNewestPage (history: History, page: readonly ChatMessage[], limit: number): History {
  const chronological = page.slice().reverse()
  if (page.length < limit) return { messages: mergeMessages([], chronological), complete: true }
  const ids = new Set(chronological.map((m) => m.id))
  if (!history.messages.some((m) => ids.has(m.id))) return { messages: mergeMessages([], chronological), complete: false }
  const oldest = chronological[0]
  const oldestAt = history.messages.findIndex((m) => m.id === oldest.id)
  const older = history.messages.filter((m, i) =>
    !ids.has(m.id) && (m.created_at < oldest.created_at || (m.created_at === oldest.created_at && i < oldestAt)))
  return { messages: mergeMessages(older, chronological), complete: history.complete }
}

/** A new message (from the live socket or our own send). */
export function withMessage (history: History, message: ChatMessage): History {
  return { ...history, messages: mergeMessages(history.messages, [message]) }
}

/** An edited message: replaced if loaded (an edit of older history is fetched with it later). */
export function withEdit (history: History, message: ChatMessage): History {
  if (!history.messages.some((m) => m.id === message.id)) return history
  return { ...history, messages: mergeMessages(history.messages, [message]) }
}

export function withoutMessage (history: History, messageId: string): History {
  if (!history.messages.some((m) => m.id === messageId)) return history
  return { ...history, messages: history.messages.filter((m) => m.id !== messageId) }
}

export function newestMessage (history: History | undefined): ChatMessage | undefined {
  return history?.messages[history.messages.length - 1]
}

export function oldestMessage (history: History | undefined): ChatMessage | undefined {
  return history?.messages[0]
}

/** Whether `userId` may edit `message` (authors only). */
export function canEditMessage (message: ChatMessage, userId: string | undefined): boolean {
  return !!userId && message.author_id === userId
}

/** Whether `userId` may delete `message` (its author, or an owner of the workspace). */
export function canDeleteMessage (message: ChatMessage, userId: string | undefined, isOwner: boolean): boolean {
  return isOwner || canEditMessage(message, userId)
}

/** Whether a message of `author` is shown apart from the one before it (author and time). */
export function startsGroup (message: ChatMessage, previous: ChatMessage | undefined, within = 5 * 60_000): boolean {
  return !previous || previous.author_id !== message.author_id || message.created_at - previous.created_at > within
}

// ---------------------------------------------------------------- unread

export interface UnreadCount { unread: number, mentions: number }
export type UnreadMap = Readonly<Record<string, UnreadCount>>

const NONE: UnreadCount = { unread: 0, mentions: 0 }

export function unreadOf (map: UnreadMap, roomId: string): UnreadCount {
  return map[roomId] ?? NONE
}

export function unreadFromList (list: readonly RoomUnread[]): UnreadMap {
  const map: Record<string, UnreadCount> = {}
  for (const u of list) map[u.room_id] = { unread: Math.max(0, u.unread), mentions: Math.max(0, u.mentions) }
  return map
}

/**
 * After a new message: one more unread in its room unless it is ours or the
 * room is being read right now (then it is marked read instead).
 */
export function unreadAfterMessage (
  map: UnreadMap,
  message: ChatMessage,
  selfId: string | undefined,
  viewing: (roomId: string) => boolean
): UnreadMap {
  if (message.author_id === selfId || viewing(message.room_id)) return map
  const now = unreadOf(map, message.room_id)
  const mentionsMe = !!selfId && message.mentions.includes(selfId)
  return { ...map, [message.room_id]: { unread: now.unread + 1, mentions: now.mentions + (mentionsMe ? 1 : 0) } }
}

export function unreadCleared (map: UnreadMap, roomId: string): UnreadMap {
  const now = map[roomId]
  if (!now || (now.unread === 0 && now.mentions === 0)) return map
  return { ...map, [roomId]: { unread: 0, mentions: 0 } }
}

/** Unread messages over `rooms`. */
export function totalUnread (map: UnreadMap, rooms: readonly Room[]): UnreadCount {
  let unread = 0
  let mentions = 0
  for (const room of rooms) {
    const u = unreadOf(map, room.id)
    unread += u.unread
    mentions += u.mentions
  }
  return { unread, mentions }
}

/**
 * The message id to mark a viewed room read up to, or null when the newest
 * loaded message is already marked (or there is none).
 */
export function readMarkFor (history: History | undefined, lastMarked: string | undefined): string | null {
  const newest = newestMessage(history)
  if (!newest || newest.id === lastMarked) return null
  return newest.id
}

// ---------------------------------------------------------------- rooms

/** Default room first, then by name (as the server lists them). */
export function sortRooms (rooms: readonly Room[]): Room[] {
  return rooms.slice().sort((a, b) =>
    a.is_default !== b.is_default ? (a.is_default ? -1 : 1) : a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
}

/** The rooms list after a room was created, renamed, archived or restored. */
export function withRoom (rooms: readonly Room[], room: Room, archived: boolean): Room[] {
  const others = rooms.filter((r) => r.id !== room.id)
  return sortRooms(room.archived === archived ? [...others, room] : others)
}

// ---------------------------------------------------------------- presence

export function locationKey (location: LiveLocation): string {
  return location.kind === 'workspace' ? 'workspace' : `${location.kind}:${location.id}`
}

export function sameLocation (a: LiveLocation, b: LiveLocation): boolean {
  return locationKey(a) === locationKey(b)
}

/** A location as the server may send it, or null when it is not one we know. */
export function cleanLocation (value: unknown): LiveLocation | null {
  if (!value || typeof value !== 'object') return null
  const v = value as { kind?: unknown, id?: unknown }
  if (v.kind === 'workspace') return { kind: 'workspace' }
  if ((v.kind === 'document' || v.kind === 'room') && typeof v.id === 'string') return { kind: v.kind, id: v.id }
  return null
}

/** Online users after a presence change: `[]` locations means offline. Sorted by name. */
export function withPresence (online: readonly OnlineUser[], user: OnlineUser): OnlineUser[] {
  const others = online.filter((u) => u.user_id !== user.user_id)
  return sortOnline(user.locations.length === 0 ? others : [...others, user])
}

export function sortOnline (online: readonly OnlineUser[]): OnlineUser[] {
  return online.slice().sort((a, b) => a.name.localeCompare(b.name) || a.user_id.localeCompare(b.user_id))
}

/** Each place once (a user with two tabs in one room is there once). */
export function distinctLocations (locations: readonly LiveLocation[]): LiveLocation[] {
  const seen = new Set<string>()
  return locations.filter((l) => {
    const key = locationKey(l)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Who has a tab at `location`. */
export function usersAt (online: readonly OnlineUser[], location: LiveLocation): OnlineUser[] {
  return online.filter((u) => u.locations.some((l) => sameLocation(l, location)))
}

// ---------------------------------------------------------------- typing

export type TypingMap = Readonly<Record<string, readonly Typist[]>>

export function withTypists (map: TypingMap, roomId: string, users: readonly Typist[]): TypingMap {
  const next = { ...map }
  if (users.length === 0) delete next[roomId]
  else next[roomId] = users.slice()
  return next
}

/** A sent message ends its author's typing at once (the server says so too, later). */
export function typistsAfterMessage (map: TypingMap, message: ChatMessage): TypingMap {
  const users = map[message.room_id]
  if (!users?.some((u) => u.user_id === message.author_id)) return map
  return withTypists(map, message.room_id, users.filter((u) => u.user_id !== message.author_id))
}

/** Others typing in a room (the server lists us too; we do not show ourselves). */
export function othersTyping (users: readonly Typist[] | undefined, selfId: string | undefined): Typist[] {
  return (users ?? []).filter((u) => u.user_id !== selfId)
}

/** "Ada is typing…", "Ada and Bob are typing…", "Ada, Bob and 2 others are typing…". */
export function typingText (users: readonly Typist[]): string {
  const names = users.map((u) => u.name)
  switch (names.length) {
    case 0: return ''
    case 1: return `${names[0]} is typing…`
    case 2: return `${names[0]} and ${names[1]} are typing…`
    case 3: return `${names[0]}, ${names[1]} and ${names[2]} are typing…`
    default: return `${names[0]}, ${names[1]} and ${names.length - 2} others are typing…`
  }
}

/** The least time between two "typing" frames for one room. */
export const TYPING_INTERVAL = 2000

/**
 * When to tell the server that we type: at most every `interval` ms per room
 * while the text is not empty, and "stopped" once when it is cleared or sent.
 */
export class TypingSignal {
  private readonly lastSent = new Map<string, number>()

  constructor (private readonly interval: number = TYPING_INTERVAL) {}

  /** The frame to send after the text of `roomId`'s input changed to `text`, if any. */
  input (roomId: string, text: string, now: number): LiveCommand | null {
    if (text.trim() === '') return this.stop(roomId)
    const last = this.lastSent.get(roomId)
    if (last !== undefined && now - last < this.interval) return null
    this.lastSent.set(roomId, now)
    return { type: 'typing', room_id: roomId }
  }

  /** The message was sent, the input cleared or left: "stopped" if we said we type. */
  stop (roomId: string): LiveCommand | null {
    if (!this.lastSent.delete(roomId)) return null
    return { type: 'typing_stopped', room_id: roomId }
  }

  /** Forgets everything (a new connection knows nothing of our typing). */
  reset (): void {
    this.lastSent.clear()
  }
}

// ---------------------------------------------------------------- limits

/** Longest message, in characters (the server's rule). */
export const MAX_MESSAGE_CHARS = 4000

/** Characters as the server counts them (code points, not UTF-16 units). */
export function charCount (text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}
