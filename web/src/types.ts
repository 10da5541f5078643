// Shapes of the server's JSON API (`/api/v1`), as the client uses them.

export type Role = 'owner' | 'editor' | 'viewer'

/** The server sends unix milliseconds. */
export type Timestamp = number | string

export interface User {
  id: string
  email: string
  name: string
  time_zone?: string
  /** From GET /me: whether the account proved it owns its email. */
  email_verified?: boolean
  /** From GET /me: working hours per weekday, in `time_zone`. */
  working_hours?: Partial<Record<string, Array<[string, string]>>>
  /** From GET /me: whether meeting follow-up mails are wanted. */
  followups?: boolean
}

/** `PATCH /api/v1/me`: what to change of one's own account. */
export interface ProfileChange {
  name?: string
  time_zone?: string
  working_hours?: Partial<Record<string, Array<[string, string]>>>
  followups?: boolean
}

export interface AuthResponse {
  user: User
  /** Absent for the web app, which asks for the cookie only. */
  token?: string
}

export interface Workspace {
  id: string
  name: string
  role: Role
}

export interface Member {
  user_id: string
  email: string
  name: string
  role: Role
}

export interface Invitation {
  email: string
  role: Role
  /** Opened by a signed-in person, joins them with `role` (once). */
  invite_link: string
}

export interface VerifyEmailResult {
  email: string
  email_verified: boolean
  /** Workspaces whose invitations the verification claimed. */
  joined: string[]
}

export type AddMemberResult =
  | ({ status: 'added' } & Member)
  | ({ status: 'invited' } & Invitation)

export interface DocumentInfo {
  id: string
  workspace_id: string
  path: string
  language: string
  /** Unix milliseconds (an ISO string is accepted too). */
  created_at: Timestamp
  updated_at: Timestamp
}

export type VersionKind = 'named' | 'auto' | 'restore' | 'merge'

export interface Version {
  id: string
  name: string | null
  kind: VersionKind
  created_at: Timestamp
  author_ids: string[]
  summary?: { added: number; removed: number }
  /** Log position of the document at this version. */
  seq?: number
}

export interface Branch {
  id: string
  path: string
  branch_of: string
  /** The version it was forked at; null when forked from the state at that moment. */
  forked_at: string | null
  /** Whether it has changes not merged back yet. */
  unmerged?: boolean
}

export interface DiffResult {
  hunks: unknown[]
}

// ---------------------------------------------------------------- rooms and chat

/** A room of a workspace (its chat; a call later). */
export interface Room {
  id: string
  workspace_id: string
  name: string
  /** The workspace's default room (`general`): it cannot be archived. */
  is_default: boolean
  archived: boolean
  created_at: number
}

export interface ChatMessage {
  id: string
  room_id: string
  author_id: string
  author_name: string
  text: string
  /** Members the message mentions. */
  mentions: string[]
  created_at: number
  edited_at: number | null
}

/** A room's unread messages for the signed-in member. */
export interface RoomUnread {
  room_id: string
  unread: number
  /** Unread messages that mention the member. */
  mentions: number
}

export interface RoomChange {
  name?: string
  archived?: boolean
}

/** Where a browser tab is in a workspace. */
export type LiveLocation =
  | { kind: 'workspace' }
  | { kind: 'document', id: string }
  | { kind: 'room', id: string }

/** A member with at least one open tab in the workspace. */
export interface OnlineUser {
  user_id: string
  name: string
  locations: LiveLocation[]
}

export interface Typist {
  user_id: string
  name: string
}

/** Frames the live workspace socket sends. */
export type LiveEvent =
  | { type: 'welcome', user_id: string, online: OnlineUser[] }
  | { type: 'presence', user_id: string, name: string, locations: LiveLocation[] }
  | { type: 'message', message: ChatMessage }
  | { type: 'message_edited', message: ChatMessage }
  | { type: 'message_deleted', room_id: string, message_id: string }
  | { type: 'typing', room_id: string, users: Typist[] }
  | { type: 'room', room: Room }
  | { type: 'call', room_id: string, participants: CallMember[] }
  | { type: 'error', code: string, message: string }

/** Someone in a room's call, as the workspace's live socket tells it. */
export interface CallMember {
  user_id: string
  name: string
}

/** Frames the client sends on the live workspace socket. */
export type LiveCommand =
  | { type: 'location', location: LiveLocation }
  | { type: 'typing', room_id: string }
  | { type: 'typing_stopped', room_id: string }

// ---------------------------------------------------------------- meetings

/** An invitee's answer; `needs_action` until they answer. */
export type MeetingResponse = 'needs_action' | 'accepted' | 'declined' | 'tentative'

/** What an invitee may answer. */
export type RsvpAnswer = 'accepted' | 'tentative' | 'declined'

/** Someone with an address and a name. */
export interface Person {
  email: string
  name: string
}

export interface MeetingAttendee {
  email: string
  /** Their account, when the email has one. */
  user_id: string | null
  response: MeetingResponse
}

/** Where someone is already busy during a new or moved meeting (RFC 3339 instants). */
export interface MeetingConflict {
  email: string
  start: string
  end: string
}

/** A meeting, single or recurring. `start`/`end` are wall-clock `YYYY-MM-DDTHH:MM` in `time_zone`. */
export interface MeetingView {
  id: string
  uid: string
  workspace_id: string
  /** The room (and call) the meeting happens in. */
  room_id: string
  organizer_id: string
  organizer: Person
  title: string
  description: string
  start: string
  end: string
  time_zone: string
  /** An RFC 5545 `RRULE` value, or null for a single meeting. */
  rrule: string | null
  attendees: MeetingAttendee[]
  reminders_minutes: number[]
  sequence: number
  cancelled: boolean
  /** Answers to creating or changing a meeting: who is already busy then. */
  conflicts: MeetingConflict[]
}

/** `POST /api/v1/workspaces/{ws}/meetings`. */
export interface NewMeeting {
  title: string
  description?: string
  /** `YYYY-MM-DDTHH:MM` in `time_zone`. */
  start: string
  end: string
  time_zone: string
  rrule?: string
  /** Emails. */
  attendees: string[]
  reminders_minutes: number[]
}

/** Which occurrences a change applies to. */
export type EditScope = 'all' | 'occurrence' | 'following'

/** `PATCH /api/v1/meetings/{id}`: absent fields stay as they are. */
export interface MeetingChange {
  scope: EditScope
  /** The occurrence's original local start (an agenda entry's `recurrence_id`); for `occurrence` and `following`. */
  recurrence_id?: string
  title?: string
  description?: string
  start?: string
  end?: string
  time_zone?: string
  /** null makes the meeting a single one. */
  rrule?: string | null
  attendees?: string[]
  reminders_minutes?: number[]
}

/** One occurrence in the signed-in user's agenda. */
export interface AgendaOccurrence {
  meeting_id: string
  title: string
  /** RFC 3339 with the offset of the user's zone. */
  start: string
  end: string
  /** The occurrence's original local start in the meeting's zone (`YYYY-MM-DDTHH:MM`). */
  recurrence_id: string
  workspace_id: string
  room_id: string
  /** The meeting's zone. */
  time_zone: string
  organizer_id: string
  /** The user's own answer; null when they organize it. */
  response: MeetingResponse | null
  reminders_minutes: number[]
}

/** `POST /api/v1/scheduling/slots`. */
export interface SlotRequest {
  /** Emails of the other attendees (accounts sharing a workspace with you). */
  attendees: string[]
  duration_minutes: number
  /** RFC 3339 instants bounding the search. */
  from: string
  to: string
}

/** A proposed time, best first. */
export interface Slot {
  start: string
  end: string
  /** Lower is better. */
  score: number
  /** Each attendee's local time, in words. */
  reasons: string[]
}

/** What a signed RSVP link (from an invitation mail) shows. */
export interface RsvpInvitation {
  meeting_id: string
  title: string
  /** Wall-clock `YYYY-MM-DDTHH:MM` in `time_zone`. */
  start: string
  end: string
  time_zone: string
  rrule?: string | null
  organizer: Person
  email: string
  response: MeetingResponse
  cancelled?: boolean
}

/** The secret address calendar apps subscribe to. */
export interface CalendarFeed {
  url: string
}
