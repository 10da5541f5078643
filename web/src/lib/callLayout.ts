// Which tiles a call shows and where, as plain functions: one camera tile per
// participant (an avatar when the camera is off) and one per screen share;
// the featured (large) tile is the pinned one, else someone else's screen
// share; the rest go in a grid, screen shares first, then yourself, then the
// others in join order.

import type { ParticipantView, TrackViewport } from '../callTypes'

export type TileSource = 'camera' | 'screen'

export interface Tile {
  /** `participantId:source`, what pinning refers to. */
  key: string
  participantId: string
  source: TileSource
  self: boolean
}

export interface Layout {
  /** Shown large; null: everyone in an even grid. */
  featured: Tile | null
  grid: Tile[]
}

export const tileKey = (participantId: string, source: TileSource) => `${participantId}:${source}`

function tile (participantId: string, source: TileSource, self: boolean): Tile {
  return { key: tileKey(participantId, source), participantId, source, self }
}

/**
 * The tiles of a call: yourself first, then the others in join order; a
 * screen tile for each participant who publishes one (yourself while sharing).
 */
export function callTiles (participants: readonly ParticipantView[], selfId: string | null, selfSharing: boolean): Tile[] {
  const self = participants.find((p) => p.id === selfId)
  const others = participants.filter((p) => p.id !== selfId).sort((a, b) => a.joined_at - b.joined_at)
  const ordered = self ? [self, ...others] : others
  const screens: Tile[] = []
  const cameras: Tile[] = []
  for (const p of ordered) {
    const isSelf = p.id === selfId
    cameras.push(tile(p.id, 'camera', isSelf))
    const shares = isSelf ? selfSharing : p.tracks.some((t) => t.source === 'screen')
    if (shares) screens.push(tile(p.id, 'screen', isSelf))
  }
  return [...screens, ...cameras]
}

/**
 * The pinned tile is featured while it exists; else the first screen share of
 * someone else (your own would show your screen inside itself); else none.
 */
export function layoutTiles (tiles: readonly Tile[], pinned: string | null): Layout {
  const featured = (pinned ? tiles.find((t) => t.key === pinned) : undefined) ??
    tiles.find((t) => t.source === 'screen' && !t.self) ??
    null
  return { featured, grid: tiles.filter((t) => t !== featured) }
}

/** Columns of an even grid of `n` tiles (as square as it gets, wider than tall). */
export function gridColumns (n: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(n)))
}

/** A tile's `<video>` on screen: which track it shows and how large (device pixels). */
export interface ShownSize {
  trackId: string
  width: number
  height: number
}

/**
 * The `viewport` frame's tracks: every received video track with the largest
 * size it is shown at, 0×0 where it is not shown (the SFU then pauses it);
 * sorted by track id so that equal frames compare equal.
 */
export function viewportsFor (videoTrackIds: Iterable<string>, shown: Iterable<ShownSize>): TrackViewport[] {
  const largest = new Map<string, { width: number, height: number }>()
  for (const s of shown) {
    const prev = largest.get(s.trackId)
    if (!prev || s.width * s.height > prev.width * prev.height) largest.set(s.trackId, { width: s.width, height: s.height })
  }
  return [...new Set(videoTrackIds)].sort().map((id) => {
    const size = largest.get(id)
    return { track_id: id, width: Math.max(0, Math.round(size?.width ?? 0)), height: Math.max(0, Math.round(size?.height ?? 0)) }
  })
}
