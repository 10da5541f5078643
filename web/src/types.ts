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
