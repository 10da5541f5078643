// Times as people read them. The server sends unix milliseconds.

import type { Timestamp } from '../types'

const relative = typeof Intl !== 'undefined' && 'RelativeTimeFormat' in Intl
  ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
  : null

/** Milliseconds since the epoch, or NaN. */
export function toMillis (at: Timestamp): number {
  if (typeof at === 'number') return at
  const n = Number(at)
  return at.trim() !== '' && Number.isFinite(n) ? n : Date.parse(at)
}

/** An ISO string for `<time datetime>`, or '' when unknown. */
export function isoTime (at: Timestamp): string {
  const ms = toMillis(at)
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString()
}

/** "3 minutes ago", "yesterday"; the date itself when older than a week. */
export function timeAgo (at: Timestamp, now: number = Date.now()): string {
  const ms = toMillis(at)
  if (Number.isNaN(ms)) return String(at)
  const seconds = Math.round((ms - now) / 1000)
  const abs = Math.abs(seconds)
  if (!relative) return fullTime(at)
  if (abs < 45) return relative.format(0, 'second')
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute')
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour')
  if (abs < 7 * 86400) return relative.format(Math.round(seconds / 86400), 'day')
  return fullTime(at)
}

/** Date and time in the reader's locale. */
export function fullTime (at: Timestamp): string {
  const ms = toMillis(at)
  if (Number.isNaN(ms)) return String(at)
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** A message's time: the clock time today, else the date and time. */
export function chatTime (at: Timestamp, now: number = Date.now()): string {
  const ms = toMillis(at)
  if (Number.isNaN(ms)) return String(at)
  const date = new Date(ms)
  if (date.toDateString() === new Date(now).toDateString()) {
    return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  }
  return fullTime(at)
}
