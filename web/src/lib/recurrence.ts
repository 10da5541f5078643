// The recurrence picker's choices and the RFC 5545 `RRULE` they stand for:
// none, every day, every weekday, weekly on chosen days, monthly; ending
// never, after N times or on a date. `buildRrule` writes the rule,
// `parseRrule` reads one back into the picker (null when the picker cannot
// show it), `describeRrule` says any rule in words.

import { formatDate, parseLocal } from './zonedTime'

export const WEEKDAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const
export type WeekdayCode = typeof WEEKDAY_CODES[number]

export const WEEKDAY_NAMES: Record<WeekdayCode, string> = {
  MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday'
}

const WORKDAYS: WeekdayCode[] = ['MO', 'TU', 'WE', 'TH', 'FR']

export type Frequency = 'none' | 'daily' | 'weekdays' | 'weekly' | 'monthly'

export type RecurrenceEnd =
  | { kind: 'never' }
  | { kind: 'count', count: number }
  /** The last day occurrences may fall on (`YYYY-MM-DD`, inclusive). */
  | { kind: 'until', date: string }

export interface Recurrence {
  frequency: Frequency
  /** For `weekly`: the days it happens on. */
  weekdays: WeekdayCode[]
  end: RecurrenceEnd
}

/** The most occurrences a rule may be limited to. */
export const MAX_COUNT = 1000

export const NO_RECURRENCE: Recurrence = { frequency: 'none', weekdays: [], end: { kind: 'never' } }

/** The weekday code of a `YYYY-MM-DD` date. */
export function weekdayCodeOf (date: string): WeekdayCode {
  const f = parseLocal(date)
  if (!f) return 'MO'
  return WEEKDAY_CODES[(new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay() + 6) % 7]
}

function sortedDays (days: WeekdayCode[]): WeekdayCode[] {
  return WEEKDAY_CODES.filter((d) => days.includes(d))
}

/** What is wrong with `r` (for a meeting starting on `startDate`), in words, or null. */
export function recurrenceProblem (r: Recurrence, startDate?: string): string | null {
  if (r.frequency === 'none') return null
  if (r.end.kind === 'count' && (!Number.isInteger(r.end.count) || r.end.count < 1 || r.end.count > MAX_COUNT)) {
    return `The number of times must be from 1 to ${MAX_COUNT}.`
  }
  if (r.end.kind === 'until') {
    if (!parseLocal(r.end.date) || r.end.date.length !== 10) return 'Choose the date the meeting ends on.'
    if (startDate && r.end.date < startDate) return 'The repetition ends before the meeting starts.'
  }
  return null
}

/**
 * The `RRULE` value of `r` (null for no repetition), such as
 * `FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10`. A weekly rule without chosen days
 * repeats on `startDate`'s weekday.
 */
export function buildRrule (r: Recurrence, startDate?: string): string | null {
  let rule: string
  switch (r.frequency) {
    case 'none': return null
    case 'daily': rule = 'FREQ=DAILY'; break
    case 'weekdays': rule = `FREQ=WEEKLY;BYDAY=${WORKDAYS.join(',')}`; break
    case 'weekly': {
      const days = sortedDays(r.weekdays)
      const chosen = days.length > 0 ? days : (startDate ? [weekdayCodeOf(startDate)] : [])
      rule = chosen.length > 0 ? `FREQ=WEEKLY;BYDAY=${chosen.join(',')}` : 'FREQ=WEEKLY'
      break
    }
    case 'monthly': rule = 'FREQ=MONTHLY'; break
  }
  switch (r.end.kind) {
    case 'never': break
    case 'count': rule += `;COUNT=${Math.trunc(r.end.count)}`; break
    // A date-only UNTIL: occurrences on that day, in the meeting's zone, still count.
    case 'until': rule += `;UNTIL=${r.end.date.replaceAll('-', '')}`; break
  }
  return rule
}

/** The parts of a rule, upper-cased names; null when it is not `NAME=VALUE;…`. */
function ruleParts (rrule: string): Map<string, string> | null {
  const parts = new Map<string, string>()
  const text = rrule.trim().replace(/^RRULE:/i, '')
  if (!text) return null
  for (const piece of text.split(';')) {
    if (!piece) continue
    const eq = piece.indexOf('=')
    if (eq <= 0) return null
    parts.set(piece.slice(0, eq).trim().toUpperCase(), piece.slice(eq + 1).trim().toUpperCase())
  }
  return parts
}

/** `20261231`, `20261231T170000` or `20261231T170000Z` as `2026-12-31`, or null. */
function untilDate (value: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?$/.exec(value)
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null
}

/** The picker's choices for `rrule`; null when the rule is more than the picker offers. */
export function parseRrule (rrule: string | null | undefined): Recurrence | null {
  if (!rrule || !rrule.trim()) return { ...NO_RECURRENCE }
  const parts = ruleParts(rrule)
  if (!parts) return null
  const known = new Set(['FREQ', 'BYDAY', 'COUNT', 'UNTIL', 'INTERVAL', 'WKST'])
  for (const name of parts.keys()) if (!known.has(name)) return null
  if ((parts.get('INTERVAL') ?? '1') !== '1') return null
  let end: RecurrenceEnd = { kind: 'never' }
  const count = parts.get('COUNT')
  const until = parts.get('UNTIL')
  if (count !== undefined) {
    if (!/^\d+$/.test(count)) return null
    end = { kind: 'count', count: Number(count) }
  } else if (until !== undefined) {
    const date = untilDate(until)
    if (!date) return null
    end = { kind: 'until', date }
  }
  const byDay = parts.get('BYDAY')
  const days = byDay ? byDay.split(',').map((d) => d.trim()) : []
  if (!days.every((d) => (WEEKDAY_CODES as readonly string[]).includes(d))) return null
  const weekdays = sortedDays(days as WeekdayCode[])
  switch (parts.get('FREQ')) {
    case 'DAILY':
      return byDay ? null : { frequency: 'daily', weekdays: [], end }
    case 'WEEKLY':
      if (weekdays.length === WORKDAYS.length && WORKDAYS.every((d) => weekdays.includes(d))) {
        return { frequency: 'weekdays', weekdays: [], end }
      }
      return { frequency: 'weekly', weekdays, end }
    case 'MONTHLY':
      return byDay ? null : { frequency: 'monthly', weekdays: [], end }
    default:
      return null
  }
}

function listInWords (items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

/** A rule in words: "Does not repeat", "Weekly on Monday and Wednesday, 10 times". */
export function describeRrule (rrule: string | null | undefined, locale?: string): string {
  if (!rrule || !rrule.trim()) return 'Does not repeat'
  const r = parseRrule(rrule)
  if (!r) return `Repeats (${rrule})`
  let text: string
  switch (r.frequency) {
    case 'none': return 'Does not repeat'
    case 'daily': text = 'Every day'; break
    case 'weekdays': text = 'Every weekday (Monday to Friday)'; break
    case 'weekly': text = r.weekdays.length > 0 ? `Weekly on ${listInWords(r.weekdays.map((d) => WEEKDAY_NAMES[d]))}` : 'Weekly'; break
    case 'monthly': text = 'Monthly'; break
  }
  switch (r.end.kind) {
    case 'never': return text
    case 'count': return `${text}, ${r.end.count === 1 ? 'once' : `${r.end.count} times`}`
    case 'until': return `${text}, until ${formatDate(r.end.date, locale, { day: 'numeric', month: 'short', year: 'numeric' })}`
  }
}
