// The API agent: the client's only `fetch` wrapper. Every call goes to the
// same origin and is authenticated by the HttpOnly session cookie alone: no
// credential is ever where a page script could read it. Failures throw
// `ApiError` carrying the server's message.

import type { IceServers } from './callTypes'
import type {
  AddMemberResult,
  AgendaOccurrence,
  AuthResponse,
  Branch,
  CalendarFeed,
  ChatMessage,
  DiffResult,
  DocumentInfo,
  Invitation,
  MeetingChange,
  MeetingView,
  Member,
  NewMeeting,
  ProfileChange,
  Role,
  Room,
  RoomChange,
  RoomUnread,
  RsvpAnswer,
  RsvpInvitation,
  Slot,
  SlotRequest,
  User,
  Version,
  VerifyEmailResult,
  Workspace
} from './types'

export const API_BASE = '/api/v1'

/** An API call that failed: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  /** Seconds to wait before trying again (a 429's Retry-After), when the server said. */
  readonly retryAfter: number | null

  constructor (status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
  }
}

/** A sentence for a person, whatever was thrown. */
export function errorMessage (err: unknown): string {
  if (err instanceof ApiError) return err.message
  if (err instanceof Error) return err.message
  return String(err)
}

let onUnauthorized: (() => void) | null = null

/** Called when a signed-in call answers 401 (the session ended). */
export function setUnauthorizedHandler (handler: (() => void) | null): void {
  onUnauthorized = handler
}

type Body = { json: unknown } | { text: string } | undefined

interface RequestOptions {
  body?: Body
  /** Parse the answer as text instead of JSON. */
  text?: boolean
  /** Do not report a 401 to the unauthorized handler (sign-in calls). */
  quiet401?: boolean
  /** Let the request finish when the page is left (small requests only). */
  keepalive?: boolean
}

const STATUS_WORDS: Record<number, string> = {
  400: 'The request was not accepted.',
  401: 'You are not signed in.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'That conflicts with something that already exists.',
  413: 'That is too large.',
  429: 'Too many attempts; wait a moment and try again.',
  500: 'The server had a problem.',
  502: 'The server cannot be reached.',
  503: 'The server is not ready.'
}

async function request<T> (method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  let body: string | undefined
  if (opts.body && 'json' in opts.body) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(opts.body.json)
  } else if (opts.body && 'text' in opts.body) {
    headers['content-type'] = 'text/plain; charset=utf-8'
    body = opts.body.text
  }
  let res: Response
  try {
    res = await fetch(API_BASE + path, { method, headers, body, credentials: 'same-origin', ...(opts.keepalive ? { keepalive: true } : {}) })
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.')
  }
  if (!res.ok) {
    let code = 'http_' + res.status
    let message = STATUS_WORDS[res.status] ?? `The server answered ${res.status}.`
    try {
      const data: unknown = await res.json()
      const detail = (data as { error?: { code?: unknown, message?: unknown } } | null)?.error
      if (detail && typeof detail.message === 'string' && detail.message) message = detail.message
      if (detail && typeof detail.code === 'string') code = detail.code
    } catch {
      // not JSON: keep the words for the status
    }
    if (res.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized()
    throw new ApiError(res.status, code, message, retryAfterSeconds(res.headers.get('retry-after')))
  }
  if (res.status === 204) return undefined as T
  if (opts.text) return (await res.text()) as T
  const raw = await res.text()
  return (raw ? JSON.parse(raw) : undefined) as T
}

/** Retry-After in seconds (a number of seconds or an HTTP date), or null. */
export function retryAfterSeconds (value: string | null, now: number = Date.now()): number | null {
  if (!value) return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000))
}

const enc = encodeURIComponent

/** `?a=1&b=2` from the defined values ('' when none). */
function query (params: Record<string, string | number | boolean | null | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

/** One page of messages: newest first, older than `before` (a message id). */
export interface PageOptions {
  before?: string
  limit?: number
}

export const api = {
  auth: {
    // `cookie_only`: the answer sets the HttpOnly cookie and carries no token.
    signup: (email: string, password: string, name: string) =>
      request<AuthResponse>('POST', '/auth/signup', { body: { json: { email, password, name, cookie_only: true, time_zone: browserTimeZone() } }, quiet401: true }),
    login: (email: string, password: string) =>
      request<AuthResponse>('POST', '/auth/login', { body: { json: { email, password, cookie_only: true } }, quiet401: true }),
    logout: () => request<void>('POST', '/auth/logout', { quiet401: true }),
    /** Who the session cookie belongs to (null: nobody), without a 401. */
    session: () => request<{ user: User | null }>('GET', '/auth/session', { quiet401: true }),
    me: () => request<User>('GET', '/me', { quiet401: true }),
    updateMe: (change: ProfileChange) => request<User>('PATCH', '/me', { body: { json: change } }),
    verifyEmail: (token: string) =>
      request<VerifyEmailResult>('POST', '/auth/verify-email', { body: { json: { token } }, quiet401: true }),
    resendVerification: () => request<void>('POST', '/auth/resend-verification')
  },
  invitations: {
    accept: (token: string) => request<Workspace>('POST', '/invitations/accept', { body: { json: { token } } })
  },
  workspaces: {
    list: () => request<Workspace[]>('GET', '/workspaces'),
    create: (name: string) => request<Workspace>('POST', '/workspaces', { body: { json: { name } } }),
    get: (ws: string) => request<Workspace>('GET', `/workspaces/${enc(ws)}`),
    rename: (ws: string, name: string) => request<Workspace>('PATCH', `/workspaces/${enc(ws)}`, { body: { json: { name } } }),
    remove: (ws: string) => request<void>('DELETE', `/workspaces/${enc(ws)}`)
  },
  members: {
    list: (ws: string) => request<Member[]>('GET', `/workspaces/${enc(ws)}/members`),
    add: (ws: string, email: string, role: Role) =>
      request<AddMemberResult>('POST', `/workspaces/${enc(ws)}/members`, { body: { json: { email, role } } }),
    changeRole: (ws: string, userId: string, role: Role) =>
      request<Member>('PATCH', `/workspaces/${enc(ws)}/members/${enc(userId)}`, { body: { json: { role } } }),
    remove: (ws: string, userId: string) => request<void>('DELETE', `/workspaces/${enc(ws)}/members/${enc(userId)}`),
    invitations: (ws: string) => request<Invitation[]>('GET', `/workspaces/${enc(ws)}/invitations`),
    cancelInvitation: (ws: string, email: string) =>
      request<void>('DELETE', `/workspaces/${enc(ws)}/invitations/${enc(email)}`)
  },
  documents: {
    list: (ws: string) => request<DocumentInfo[]>('GET', `/workspaces/${enc(ws)}/documents`),
    create: (ws: string, path: string) =>
      request<DocumentInfo>('POST', `/workspaces/${enc(ws)}/documents`, { body: { json: { path } } }),
    get: (doc: string) => request<DocumentInfo>('GET', `/documents/${enc(doc)}`),
    move: (doc: string, path: string) => request<DocumentInfo>('PATCH', `/documents/${enc(doc)}`, { body: { json: { path } } }),
    remove: (doc: string) => request<void>('DELETE', `/documents/${enc(doc)}`),
    content: (doc: string) => request<string>('GET', `/documents/${enc(doc)}/content`, { text: true }),
    replaceContent: (doc: string, text: string) =>
      request<void>('PUT', `/documents/${enc(doc)}/content`, { body: { text } })
  },
  history: {
    versions: (doc: string) => request<Version[]>('GET', `/documents/${enc(doc)}/versions`),
    createVersion: (doc: string, name: string) =>
      request<Version>('POST', `/documents/${enc(doc)}/versions`, { body: { json: { name } } }),
    versionContent: (doc: string, version: string) =>
      request<string>('GET', `/documents/${enc(doc)}/versions/${enc(version)}/content`, { text: true }),
    diff: (doc: string, from: string, to: string) =>
      request<DiffResult>('GET', `/documents/${enc(doc)}/diff?from=${enc(from)}&to=${enc(to)}`),
    restore: (doc: string, version: string) =>
      request<{ version: Version }>('POST', `/documents/${enc(doc)}/versions/${enc(version)}/restore`),
    branches: (doc: string) => request<Branch[]>('GET', `/documents/${enc(doc)}/branches`),
    createBranch: (doc: string, name: string, fromVersion?: string) =>
      request<Branch>('POST', `/documents/${enc(doc)}/branches`, {
        body: { json: fromVersion ? { name, from_version: fromVersion } : { name } }
      }),
    merge: (branch: string) => request<{ merged_updates: number }>('POST', `/documents/${enc(branch)}/merge`)
  },
  rooms: {
    /** Default room first, then by name; archived ones with `archived`. */
    list: (ws: string, archived = false) =>
      request<Room[]>('GET', `/workspaces/${enc(ws)}/rooms${query({ archived: archived || undefined })}`),
    create: (ws: string, name: string) => request<Room>('POST', `/workspaces/${enc(ws)}/rooms`, { body: { json: { name } } }),
    get: (room: string) => request<Room>('GET', `/rooms/${enc(room)}`),
    /** Renames, archives or restores. */
    update: (room: string, change: RoomChange) => request<Room>('PATCH', `/rooms/${enc(room)}`, { body: { json: change } }),
    /** Archives the room. */
    remove: (room: string) => request<void>('DELETE', `/rooms/${enc(room)}`)
  },
  chat: {
    /** Newest first. */
    messages: (room: string, page: PageOptions = {}) =>
      request<ChatMessage[]>('GET', `/rooms/${enc(room)}/messages${query({ before: page.before, limit: page.limit })}`),
    send: (room: string, text: string) =>
      request<ChatMessage>('POST', `/rooms/${enc(room)}/messages`, { body: { json: { text } } }),
    edit: (message: string, text: string) =>
      request<ChatMessage>('PATCH', `/messages/${enc(message)}`, { body: { json: { text } } }),
    remove: (message: string) => request<void>('DELETE', `/messages/${enc(message)}`),
    /** Marks everything in the room up to `messageId` read for the signed-in member. */
    markRead: (room: string, messageId: string) =>
      request<void>('POST', `/rooms/${enc(room)}/read`, { body: { json: { message_id: messageId } }, keepalive: true }),
    unread: (ws: string) => request<RoomUnread[]>('GET', `/workspaces/${enc(ws)}/unread`),
    /** Messages that mention the signed-in member, newest first. */
    mentions: (ws: string, page: PageOptions = {}) =>
      request<ChatMessage[]>('GET', `/workspaces/${enc(ws)}/mentions${query({ before: page.before, limit: page.limit })}`),
    /** Best matches first. */
    search: (ws: string, q: string, limit?: number) =>
      request<ChatMessage[]>('GET', `/workspaces/${enc(ws)}/messages/search${query({ q, limit })}`)
  },
  rtc: {
    /** STUN/TURN servers (with time-limited TURN credentials) for the call's peer connections. */
    iceServers: () => request<IceServers>('GET', '/rtc/ice-servers')
  },
  meetings: {
    /** Schedules a meeting (with a room of its own); the answer lists conflicts. */
    create: (ws: string, meeting: NewMeeting) =>
      request<MeetingView>('POST', `/workspaces/${enc(ws)}/meetings`, { body: { json: meeting } }),
    get: (meeting: string) => request<MeetingView>('GET', `/meetings/${enc(meeting)}`),
    /** Changes the series, one occurrence, or this and the following ones (then the answer is the new tail). */
    update: (meeting: string, change: MeetingChange) =>
      request<MeetingView>('PATCH', `/meetings/${enc(meeting)}`, { body: { json: change } }),
    /** Cancels the meeting, or only the occurrence whose original local start is `occurrence`. */
    cancel: (meeting: string, occurrence?: string) =>
      request<void>('DELETE', `/meetings/${enc(meeting)}${query({ occurrence })}`),
    rsvp: (meeting: string, response: RsvpAnswer) =>
      request<MeetingView>('POST', `/meetings/${enc(meeting)}/rsvp`, { body: { json: { response } } })
  },
  schedule: {
    /** The signed-in user's occurrences between two RFC 3339 instants, recurrences expanded. */
    agenda: (from: string, to: string) => request<AgendaOccurrence[]>('GET', `/me/agenda${query({ from, to })}`),
    /** Times that suit the signed-in user and `attendees`, best first. */
    slots: (ask: SlotRequest) =>
      request<{ slots: Slot[] }>('POST', '/scheduling/slots', { body: { json: ask } }).then((answer) => answer.slots),
    /** The secret address of one's iCalendar feed. */
    calendarFeed: () => request<CalendarFeed>('GET', '/me/calendar-feed'),
    /** A new feed address; the old one stops working. */
    rotateCalendarFeed: () => request<CalendarFeed>('POST', '/me/calendar-feed/rotate')
  },
  rsvp: {
    /** The invitation of a signed link from an invitation mail (no sign-in needed). */
    get: (token: string) => request<RsvpInvitation>('GET', `/rsvp/${enc(token)}`, { quiet401: true }),
    answer: (token: string, response: RsvpAnswer) =>
      request<RsvpInvitation>('POST', `/rsvp/${enc(token)}`, { body: { json: { response } }, quiet401: true })
  }
}

export type Api = typeof api

/**
 * The WebSocket base for document connections, on the page's own origin: the
 * browser sends the session cookie with the upgrade, so the URL carries no token.
 */
export function collabUrl (location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/collab`
}

/**
 * The live socket of a workspace (presence, chat events), on the page's own
 * origin and authenticated by the session cookie: no token in the URL.
 */
export function liveUrl (workspaceId: string, location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${API_BASE}/workspaces/${enc(workspaceId)}/live`
}

/**
 * A room's call socket, on the page's own origin and authenticated by the
 * session cookie: opening it joins the call.
 */
export function callUrl (roomId: string, location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${API_BASE}/rooms/${enc(roomId)}/call`
}

/** The browser's IANA time zone, if it tells one. */
export function browserTimeZone (): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined
  } catch {
    return undefined
  }
}
