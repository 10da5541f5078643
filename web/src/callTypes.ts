// Shapes of a room's call: the JSON frames of the call socket
// (`/api/v1/rooms/{room}/call`) and the ICE servers answer
// (`/api/v1/rtc/ice-servers`). Mirrors `crates/proto/src/call.rs`, which is
// authoritative: ids are strings, enums snake_case, frames tagged by `type`.

export type MediaKind = 'audio' | 'video'

export type TrackSource = 'camera' | 'microphone' | 'screen' | 'screen_audio'

/** What a participant may do in the call (derived from the workspace role). */
export interface Grants {
  join: boolean
  publish: boolean
  subscribe: boolean
  screen: boolean
  moderate: boolean
}

/** A published track as every participant sees it. */
export interface TrackView {
  id: string
  kind: MediaKind
  source: TrackSource
  muted: boolean
  /** Sent in several simulcast layers (video only). */
  simulcast: boolean
}

/** A participant as every participant sees it. */
export interface ParticipantView {
  id: string
  user_id: string
  name: string
  tracks: TrackView[]
  moderator: boolean
  /** Unix milliseconds. */
  joined_at: number
}

/** A sending transceiver of the publisher connection: its mid and what it carries. */
export interface PublishedTrack {
  mid: string
  source: TrackSource
  muted: boolean
}

/** A transceiver of the subscriber connection: whose track it carries. */
export interface SubscribedTrack {
  mid: string
  track_id: string
  participant_id: string
  kind: MediaKind
  source: TrackSource
}

/** How large this browser shows a video track (0×0: not shown, the SFU pauses it). */
export interface TrackViewport {
  track_id: string
  width: number
  height: number
}

export type PeerRole = 'publisher' | 'subscriber'

/** A simulcast layer: rid `q` low, `h` medium, `f` high. */
export type Layer = 'low' | 'medium' | 'high'

export type LeaveReason = 'left' | 'disconnected' | 'removed' | 'call_ended' | 'access_removed'

/** What the browser sends on the call socket. */
export type CallCommand =
  | { type: 'publish_offer', sdp: string, tracks: PublishedTrack[] }
  | { type: 'subscribe_answer', sdp: string }
  | { type: 'ice_candidate', peer: PeerRole, candidate: string }
  | { type: 'ice_restart' }
  | { type: 'mute', source: TrackSource, muted: boolean }
  | { type: 'viewport', tracks: TrackViewport[] }
  | { type: 'mute_participant', participant_id: string, source: TrackSource }
  | { type: 'remove_participant', participant_id: string }
  | { type: 'allow_viewers_to_publish', allowed: boolean }
  | { type: 'end_call' }
  | { type: 'leave' }

/** What the call socket sends. */
export type CallEvent =
  | { type: 'joined', participant_id: string, room_id: string, grants: Grants, participants: ParticipantView[], limit: number }
  | { type: 'participant_joined', participant: ParticipantView }
  | { type: 'participant_updated', participant: ParticipantView }
  | { type: 'participant_left', participant_id: string, reason: LeaveReason }
  | { type: 'grants', grants: Grants }
  | { type: 'publish_answer', sdp: string }
  | { type: 'subscribe_offer', sdp: string, tracks: SubscribedTrack[] }
  | { type: 'active_speakers', participant_ids: string[] }
  | { type: 'layer_changed', track_id: string, layer: Layer }
  | { type: 'muted_by_moderator', source: TrackSource }
  | { type: 'left', reason: LeaveReason }
  | { type: 'error', code: string, message: string }

/** One entry of `RTCPeerConnection`'s `iceServers`. */
export interface IceServer {
  urls: string[]
  username?: string
  credential?: string
}

/** `GET /api/v1/rtc/ice-servers`. */
export interface IceServers {
  iceServers: IceServer[]
  /** When the credentials stop working (seconds since the Unix epoch). */
  expiresAt: number
}
