// In-app meeting reminders as a plain function: which agenda occurrences are
// due a reminder now (a reminder time, start − N minutes, has passed and the
// start has not; a 0-minute reminder during the first minute), each once per
// occurrence — the keys of those already shown are kept by the caller.

import type { AgendaOccurrence } from '../types'
import { parseInstant } from './zonedTime'

/** A reminder to show. */
export interface DueReminder {
  /** The occurrence: meeting id and original local start. */
  key: string
  occurrence: AgendaOccurrence
  /** Whole minutes until the start (0: starting now). */
  minutesLeft: number
}

/** The key an occurrence's reminder is remembered by. */
export function reminderKey (o: Pick<AgendaOccurrence, 'meeting_id' | 'recurrence_id'>): string {
  return `${o.meeting_id}@${o.recurrence_id}`
}

/**
 * The occurrences whose reminder is due at `now` and not in `shown` (keys),
 * soonest first. An occurrence with several reminders due (the page opened
 * late) is reminded of once.
 */
export function dueReminders (occurrences: AgendaOccurrence[], now: number, shown: ReadonlySet<string>): DueReminder[] {
  const due: DueReminder[] = []
  const seen = new Set<string>()
  for (const occurrence of occurrences) {
    const key = reminderKey(occurrence)
    if (shown.has(key) || seen.has(key)) continue
    const start = parseInstant(occurrence.start)
    if (Number.isNaN(start)) continue
    // A reminder "at the start" (0 minutes) still shows during the first minute.
    const reminded = occurrence.reminders_minutes.some((minutes) =>
      start - minutes * 60_000 <= now && (now < start || (minutes === 0 && now < start + 60_000)))
    if (!reminded) continue
    seen.add(key)
    due.push({ key, occurrence, minutesLeft: Math.max(0, Math.ceil((start - now) / 60_000)) })
  }
  return due.sort((a, b) => parseInstant(a.occurrence.start) - parseInstant(b.occurrence.start))
}

/** "starts in 10 minutes", "starts in 1 minute", "starts now". */
export function startsIn (minutesLeft: number): string {
  if (minutesLeft <= 0) return 'starts now'
  return `starts in ${minutesLeft} minute${minutesLeft === 1 ? '' : 's'}`
}
