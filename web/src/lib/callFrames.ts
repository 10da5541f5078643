// The call socket's frames as plain functions: a server frame checked for the
// fields the client reads (`parseCallEvent`), the words for why a call ended
// (`callCloseWords`, `leaveWords`), and the roster kept from join/update/leave
// events (`withParticipant`, `withoutParticipant`).

import type {
  CallEvent,
  Grants,
  Layer,
  LeaveReason,
  MediaKind,
  ParticipantView,
  SubscribedTrack,
  TrackSource,
  TrackView
} from '../callTypes'

const SOURCES: readonly TrackSource[] = ['camera', 'microphone', 'screen', 'screen_audio']
const KINDS: readonly MediaKind[] = ['audio', 'video']
const LAYERS: readonly Layer[] = ['low', 'medium', 'high']
const REASONS: readonly LeaveReason[] = ['left', 'disconnected', 'removed', 'call_ended', 'access_removed']

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)
const isString = (v: unknown): v is string => typeof v === 'string'
const oneOf = <T extends string>(values: readonly T[], v: unknown): v is T => isString(v) && (values as readonly string[]).includes(v)
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

export const isSource = (v: unknown): v is TrackSource => oneOf(SOURCES, v)

/** The kind of media a source sends. */
export function kindOf (source: TrackSource): MediaKind {
  return source === 'camera' || source === 'screen' ? 'video' : 'audio'
}

function grantsOf (v: unknown): Grants | null {
  if (!isObj(v)) return null
  const flag = (k: string) => v[k] === true
  return { join: flag('join'), publish: flag('publish'), subscribe: flag('subscribe'), screen: flag('screen'), moderate: flag('moderate') }
}

function trackOf (v: unknown): TrackView | null {
  if (!isObj(v) || !isString(v.id) || !isSource(v.source)) return null
  return {
    id: v.id,
    kind: oneOf(KINDS, v.kind) ? v.kind : kindOf(v.source),
    source: v.source,
    muted: v.muted === true,
    simulcast: v.simulcast === true
  }
}

/** A participant checked for the fields the client reads; null when it is not one. */
export function participantOf (v: unknown): ParticipantView | null {
  if (!isObj(v) || !isString(v.id)) return null
  const userId = isString(v.user_id) ? v.user_id : ''
  return {
    id: v.id,
    user_id: userId,
    name: isString(v.name) && v.name ? v.name : (userId || v.id).slice(0, 8),
    tracks: list(v.tracks).map(trackOf).filter((t): t is TrackView => t !== null),
    moderator: v.moderator === true,
    joined_at: typeof v.joined_at === 'number' ? v.joined_at : 0
  }
}

function subscribedOf (v: unknown): SubscribedTrack | null {
  if (!isObj(v) || !isString(v.mid) || !isString(v.track_id) || !isString(v.participant_id) || !isSource(v.source)) return null
  return {
    mid: v.mid,
    track_id: v.track_id,
    participant_id: v.participant_id,
    kind: oneOf(KINDS, v.kind) ? v.kind : kindOf(v.source),
    source: v.source
  }
}

/** A call socket frame checked for the fields the client reads; null when it is not one it knows. */
export function parseCallEvent (data: unknown): CallEvent | null {
  let f: unknown
  try {
    f = typeof data === 'string' ? JSON.parse(data) : null
  } catch {
    return null
  }
  if (!isObj(f)) return null
  switch (f.type) {
    case 'joined': {
      const grants = grantsOf(f.grants)
      if (!isString(f.participant_id) || !grants) return null
      return {
        type: 'joined',
        participant_id: f.participant_id,
        room_id: isString(f.room_id) ? f.room_id : '',
        grants,
        participants: list(f.participants).map(participantOf).filter((p): p is ParticipantView => p !== null),
        limit: typeof f.limit === 'number' ? f.limit : 0
      }
    }
    case 'participant_joined':
    case 'participant_updated': {
      const participant = participantOf(f.participant)
      return participant ? { type: f.type, participant } : null
    }
    case 'participant_left':
      if (!isString(f.participant_id)) return null
      return { type: 'participant_left', participant_id: f.participant_id, reason: oneOf(REASONS, f.reason) ? f.reason : 'left' }
    case 'grants': {
      const grants = grantsOf(f.grants)
      return grants ? { type: 'grants', grants } : null
    }
    case 'publish_answer':
      return isString(f.sdp) ? { type: 'publish_answer', sdp: f.sdp } : null
    case 'subscribe_offer':
      if (!isString(f.sdp)) return null
      return {
        type: 'subscribe_offer',
        sdp: f.sdp,
        tracks: list(f.tracks).map(subscribedOf).filter((t): t is SubscribedTrack => t !== null)
      }
    case 'active_speakers':
      return { type: 'active_speakers', participant_ids: list(f.participant_ids).filter(isString) }
    case 'layer_changed':
      if (!isString(f.track_id) || !oneOf(LAYERS, f.layer)) return null
      return { type: 'layer_changed', track_id: f.track_id, layer: f.layer }
    case 'muted_by_moderator':
      return isSource(f.source) ? { type: 'muted_by_moderator', source: f.source } : null
    case 'left':
      return { type: 'left', reason: oneOf(REASONS, f.reason) ? f.reason : 'left' }
    case 'error':
      return { type: 'error', code: isString(f.code) ? f.code : 'error', message: isString(f.message) ? f.message : '' }
    default:
      return null
  }
}

/**
 * Why the call socket closed for good, in words, or null when joining again
 * may help. The server refuses with 1008 and `code: message` (`call_full: …`,
 * `not_allowed: …`); a 1008 for sending too fast is worth another try.
 */
export function callCloseWords (code: number, reason: string): string | null {
  if (code !== 1008 || /rate limit/i.test(reason)) return null
  const match = /^\s*([a-z_]+)\s*(?::\s*(.*))?$/s.exec(reason)
  const kind = match?.[1] ?? ''
  const detail = (match ? match[2] ?? '' : reason).trim()
  const tail = detail ? ` (${detail})` : ''
  switch (kind) {
    case 'call_full': return `The call is full${tail}.`
    case 'not_allowed': return `You may not join this call${tail}.`
    default: return reason.trim() ? `The call ended: ${reason.trim()}.` : 'You may not join this call.'
  }
}

/** Why the call ended for this participant (the server's `left`). */
export function leaveWords (reason: LeaveReason): string {
  switch (reason) {
    case 'left': return 'You left the call.'
    case 'disconnected': return 'You were disconnected from the call.'
    case 'removed': return 'A moderator removed you from the call.'
    case 'call_ended': return 'The call was ended for everyone.'
    case 'access_removed': return 'You no longer have access to this room.'
  }
}

/** A source in words, for notices and labels. */
export function sourceWords (source: TrackSource): string {
  switch (source) {
    case 'camera': return 'camera'
    case 'microphone': return 'microphone'
    case 'screen': return 'screen share'
    case 'screen_audio': return 'screen share audio'
  }
}

/** The roster with `p` added or replaced (in join order). */
export function withParticipant (roster: readonly ParticipantView[], p: ParticipantView): ParticipantView[] {
  const i = roster.findIndex((x) => x.id === p.id)
  if (i >= 0) return roster.map((x, j) => (j === i ? p : x))
  return [...roster, p].sort((a, b) => a.joined_at - b.joined_at)
}

export function withoutParticipant (roster: readonly ParticipantView[], id: string): ParticipantView[] {
  return roster.some((x) => x.id === id) ? roster.filter((x) => x.id !== id) : [...roster]
}

/** A participant's published track of a source, if any. */
export function trackOfSource (p: ParticipantView | null | undefined, source: TrackSource): TrackView | undefined {
  return p?.tracks.find((t) => t.source === source)
}

/** Whether a participant's source is off: not published, or muted. */
export function isOff (p: ParticipantView | null | undefined, source: TrackSource): boolean {
  const t = trackOfSource(p, source)
  return !t || t.muted
}
