// Working hours as the profile keeps them: per weekday (`mon` … `sun`), a few
// `["09:00","17:00"]` intervals in the user's own time zone. The same rules as
// the server's, so that the page says what is wrong before saving.

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Day = typeof DAYS[number]
export type WorkingHours = Partial<Record<Day, Array<[string, string]>>>

export const DAY_NAMES: Record<Day, string> = {
  mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday'
}

/** Monday to Friday, nine to five. */
export const DEFAULT_WORKING_HOURS: WorkingHours = {
  mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']]
}

/** Intervals a day may have. */
export const MAX_INTERVALS = 4

/** Minutes since midnight of `HH:MM` (`24:00` allowed), or null. */
export function minutesOf (time: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time)
  if (m) return Number(m[1]) * 60 + Number(m[2])
  return time === '24:00' ? 24 * 60 : null
}

/** What is wrong with `hours`, in words, or null when they are fine. */
export function workingHoursProblem (hours: WorkingHours): string | null {
  for (const day of DAYS) {
    const intervals = hours[day] ?? []
    if (intervals.length > MAX_INTERVALS) return `${DAY_NAMES[day]}: at most ${MAX_INTERVALS} intervals`
    const spans: Array<[number, number]> = []
    for (const [from, to] of intervals) {
      const start = minutesOf(from)
      const end = minutesOf(to)
      if (start === null || end === null || start === 24 * 60) return `${DAY_NAMES[day]}: times are HH:MM, like 09:00`
      if (start >= end) return `${DAY_NAMES[day]}: ${from}–${to} ends before it starts`
      spans.push([start, end])
    }
    spans.sort((a, b) => a[0] - b[0])
    for (let i = 1; i < spans.length; i++) {
      if (spans[i][0] < spans[i - 1][1]) return `${DAY_NAMES[day]}: intervals overlap`
    }
  }
  return null
}

/** Only the days worked, each sorted: what is sent to the server. */
export function normalizeWorkingHours (hours: WorkingHours): WorkingHours {
  const out: WorkingHours = {}
  for (const day of DAYS) {
    const intervals = [...(hours[day] ?? [])].sort((a, b) => (minutesOf(a[0]) ?? 0) - (minutesOf(b[0]) ?? 0))
    if (intervals.length > 0) out[day] = intervals
  }
  return out
}

/** The IANA zones the browser knows (for the picker), with `zone` first among them if it is missing. */
export function timeZones (zone?: string): string[] {
  let all: string[] = []
  try {
    all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? []
  } catch {
    all = []
  }
  if (!all.includes('UTC')) all = ['UTC', ...all]
  return zone && !all.includes(zone) ? [zone, ...all] : all
}
