// The week view's geometry as plain functions: which seven days a week is (in
// the user's zone, Monday first), the agenda range to ask for, and where each
// occurrence goes — its day columns, its top and bottom as minutes of the
// local day (by wall-clock time, so a DST day still has 24 hour rows), and
// side-by-side columns for occurrences that overlap.

import type { AgendaOccurrence } from '../types'
import { addDays, daysBetween, fromLocal, parseInstant, toLocal, toRfc3339, todayIn, weekdayOf } from './zonedTime'

export const MINUTES_PER_DAY = 24 * 60
/** The shortest height an occurrence gets, in minutes (a 5-minute meeting stays readable). */
export const MIN_SPAN_MINUTES = 15

/** A week in a zone: its days (Monday first) and the instants bounding it. */
export interface Week {
  /** Seven `YYYY-MM-DD` dates, Monday to Sunday. */
  days: string[]
  /** RFC 3339, with the zone's offset: Monday 00:00 and the next Monday 00:00. */
  from: string
  to: string
}

/** The Monday of the week holding `date`. */
export function mondayOf (date: string): string {
  return addDays(date, -weekdayOf(date))
}

/** The week holding `date` (`YYYY-MM-DD`) in `zone`. */
export function weekOf (date: string, zone: string): Week {
  const monday = mondayOf(date)
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i))
  return {
    days,
    from: toRfc3339(fromLocal(`${monday}T00:00`, zone), zone),
    to: toRfc3339(fromLocal(`${addDays(monday, 7)}T00:00`, zone), zone)
  }
}

/** The week holding today in `zone`. */
export function currentWeek (zone: string, now: number = Date.now()): Week {
  return weekOf(todayIn(zone, now), zone)
}

/** A piece of an occurrence inside one day column. */
export interface PlacedOccurrence {
  occurrence: AgendaOccurrence
  /** 0 = the week's Monday … 6 = Sunday. */
  day: number
  /** Minutes since the local midnight, 0 … 1440. */
  top: number
  bottom: number
  /** Side by side with overlapping ones: this one's column of `columns`. */
  column: number
  columns: number
  /** It began on an earlier day / goes on to a later one. */
  continuesBefore: boolean
  continuesAfter: boolean
}

/** Minutes since midnight of a local `YYYY-MM-DDTHH:MM`. */
function minuteOfDay (local: string): number {
  return Number(local.slice(11, 13)) * 60 + Number(local.slice(14, 16))
}

/**
 * Places `occurrences` (instants from the agenda) in the week of `days`, by
 * their local start and end in `zone`. An occurrence over midnight becomes one
 * piece per day; pieces outside the week are left out. Returned by day, then
 * top.
 */
export function layoutWeek (occurrences: AgendaOccurrence[], days: string[], zone: string): PlacedOccurrence[] {
  const pieces: PlacedOccurrence[] = []
  for (const occurrence of occurrences) {
    const start = parseInstant(occurrence.start)
    const end = parseInstant(occurrence.end)
    if (Number.isNaN(start) || Number.isNaN(end)) continue
    const localStart = toLocal(start, zone)
    // An end at midnight belongs to the day before.
    const localEnd = toLocal(Math.max(start, end), zone)
    const firstDay = localStart.slice(0, 10)
    let lastDay = localEnd.slice(0, 10)
    if (end > start && minuteOfDay(localEnd) === 0 && lastDay !== firstDay) lastDay = addDays(lastDay, -1)
    const span = daysBetween(firstDay, lastDay)
    for (let i = 0; i <= span; i++) {
      const date = addDays(firstDay, i)
      const day = days.indexOf(date)
      if (day < 0) continue
      const top = i === 0 ? minuteOfDay(localStart) : 0
      let bottom = date === localEnd.slice(0, 10) ? minuteOfDay(localEnd) : MINUTES_PER_DAY
      // A fall-back night can make the wall-clock end earlier than the start.
      bottom = Math.min(MINUTES_PER_DAY, Math.max(bottom, top + MIN_SPAN_MINUTES))
      pieces.push({
        occurrence,
        day,
        top,
        bottom,
        column: 0,
        columns: 1,
        continuesBefore: i > 0,
        continuesAfter: i < span
      })
    }
  }
  pieces.sort((a, b) => a.day - b.day || a.top - b.top || b.bottom - a.bottom)
  assignColumns(pieces)
  return pieces
}

/** Overlapping pieces of a day share its width: each cluster of overlaps gets as many columns as it needs. */
function assignColumns (pieces: PlacedOccurrence[]): void {
  let cluster: PlacedOccurrence[] = []
  let columnEnds: number[] = []
  let clusterEnd = -1
  let clusterDay = -1
  const close = () => {
    for (const p of cluster) p.columns = columnEnds.length
    cluster = []
    columnEnds = []
  }
  for (const piece of pieces) {
    if (piece.day !== clusterDay || piece.top >= clusterEnd) {
      close()
      clusterDay = piece.day
      clusterEnd = -1
    }
    let column = columnEnds.findIndex((endsAt) => endsAt <= piece.top)
    if (column < 0) {
      column = columnEnds.length
      columnEnds.push(piece.bottom)
    } else {
      columnEnds[column] = piece.bottom
    }
    piece.column = column
    cluster.push(piece)
    clusterEnd = Math.max(clusterEnd, piece.bottom)
  }
  close()
}

/** The local clock time of an occurrence in `zone`: `09:30–10:00`. */
export function occurrenceClock (occurrence: AgendaOccurrence, zone: string): string {
  const start = parseInstant(occurrence.start)
  const end = parseInstant(occurrence.end)
  if (Number.isNaN(start) || Number.isNaN(end)) return ''
  return `${toLocal(start, zone).slice(11)}–${toLocal(end, zone).slice(11)}`
}
