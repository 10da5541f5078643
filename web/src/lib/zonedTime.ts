// Wall-clock times in IANA zones, with the browser's Intl only (no date
// library): an instant's local date and time in a zone, a local time's
// instant (DST gaps and overlaps resolved like RFC 5545 and the server: a
// time skipped by a gap moves forward by the gap, a repeated time is the
// earlier one), RFC 3339 with the zone's offset, and day arithmetic on
// `YYYY-MM-DD` dates. Nothing here reads the browser's own zone.

const MINUTE = 60_000
const DAY = 86_400_000

/** An instant's calendar fields in a zone. `weekday`: 0 = Monday … 6 = Sunday. */
export interface WallClock {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  weekday: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function fieldsFormatter (zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short'
    })
    formatters.set(zone, f)
  }
  return f
}

const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 }

/** Whether the browser knows `zone`. */
export function isKnownZone (zone: string): boolean {
  try {
    fieldsFormatter(zone)
    return true
  } catch {
    return false
  }
}

/** The calendar fields of instant `ms` in `zone`. */
export function wallClock (ms: number, zone: string): WallClock {
  const out: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 }
  for (const part of fieldsFormatter(zone).formatToParts(new Date(ms))) {
    switch (part.type) {
      case 'year': out.year = Number(part.value); break
      case 'month': out.month = Number(part.value); break
      case 'day': out.day = Number(part.value); break
      case 'hour': out.hour = Number(part.value) % 24; break
      case 'minute': out.minute = Number(part.value); break
      case 'second': out.second = Number(part.value); break
      case 'weekday': out.weekday = WEEKDAYS[part.value] ?? 0; break
    }
  }
  return out
}

/** Minutes `zone` is ahead of UTC at instant `ms` (60 for Europe/London in summer). */
export function offsetMinutes (ms: number, zone: string): number {
  const w = wallClock(ms, zone)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / MINUTE)
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `YYYY-MM-DD` of the fields. */
export function dateText (year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`
}

/** `YYYY-MM-DDTHH:MM`: instant `ms` as a wall-clock time in `zone`. */
export function toLocal (ms: number, zone: string): string {
  const w = wallClock(ms, zone)
  return `${dateText(w.year, w.month, w.day)}T${pad(w.hour)}:${pad(w.minute)}`
}

/** The fields of `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`, or null. */
export function parseLocal (text: string): { year: number, month: number, day: number, hour: number, minute: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2})?)?$/.exec(text.trim())
  if (!m) return null
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0'].map(Number)
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCDate() !== day) return null
  return { year, month, day, hour, minute }
}

/**
 * The instant of wall-clock time `local` (`YYYY-MM-DDTHH:MM`) in `zone`, or
 * NaN when `local` is not a date-time. A time that a DST gap skips is moved
 * forward by the gap (02:30 on the spring-forward night is 03:30); a time that
 * happens twice is the first one.
 */
export function fromLocal (local: string, zone: string): number {
  const f = parseLocal(local)
  if (!f) return NaN
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute)
  const before = offsetMinutes(asUtc - DAY, zone)
  const after = offsetMinutes(asUtc + DAY, zone)
  const wanted = `${dateText(f.year, f.month, f.day)}T${pad(f.hour)}:${pad(f.minute)}`
  const candidates = [...new Set([before, after])]
    .map((off) => asUtc - off * MINUTE)
    .filter((ms) => toLocal(ms, zone) === wanted)
    .sort((a, b) => a - b)
  if (candidates.length > 0) return candidates[0]
  // In a gap: the offset from before it, which lands after the gap.
  return asUtc - before * MINUTE
}

/** RFC 3339 with the zone's offset: `2026-10-20T09:30:00+01:00`. */
export function toRfc3339 (ms: number, zone: string): string {
  const w = wallClock(ms, zone)
  const off = offsetMinutes(ms, zone)
  const sign = off < 0 ? '-' : '+'
  const abs = Math.abs(off)
  return `${dateText(w.year, w.month, w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** Milliseconds of an RFC 3339 instant (a trailing `[Zone/Name]` is ignored), or NaN. */
export function parseInstant (text: string): number {
  return Date.parse(text.replace(/\[[^\]]*\]$/, ''))
}

/** `date` (`YYYY-MM-DD`) moved by `days`. */
export function addDays (date: string, days: number): string {
  const f = parseLocal(date)
  if (!f) return date
  const d = new Date(Date.UTC(f.year, f.month - 1, f.day) + days * DAY)
  return dateText(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())
}

/** 0 = Monday … 6 = Sunday. */
export function weekdayOf (date: string): number {
  const f = parseLocal(date)
  if (!f) return 0
  return (new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay() + 6) % 7
}

/** Days from `a` to `b` (both `YYYY-MM-DD`). */
export function daysBetween (a: string, b: string): number {
  const fa = parseLocal(a)
  const fb = parseLocal(b)
  if (!fa || !fb) return NaN
  return Math.round((Date.UTC(fb.year, fb.month - 1, fb.day) - Date.UTC(fa.year, fa.month - 1, fa.day)) / DAY)
}

/** Today's date in `zone`. */
export function todayIn (zone: string, now: number = Date.now()): string {
  return toLocal(now, zone).slice(0, 10)
}

/** Minutes since midnight of `HH:MM`, or null. */
export function clockMinutes (time: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time)
  return m ? Number(m[1]) * 60 + Number(m[2]) : null
}

/** `HH:MM` of minutes since midnight. */
export function clockText (minutes: number): string {
  const m = ((Math.round(minutes) % 1440) + 1440) % 1440
  return `${pad(Math.floor(m / 60))}:${pad(m % 60)}`
}

const shortFormats = new Map<string, Intl.DateTimeFormat>()

function cachedFormat (key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = shortFormats.get(key)
  if (!f) {
    f = make()
    shortFormats.set(key, f)
  }
  return f
}

/** The clock time of an instant in `zone`, in the reader's locale ("09:30", "9:30 AM"). */
export function formatClock (ms: number, zone: string, locale?: string): string {
  return cachedFormat(`clock|${zone}|${locale ?? ''}`, () =>
    new Intl.DateTimeFormat(locale, { timeZone: zone, hour: 'numeric', minute: '2-digit' })).format(new Date(ms))
}

/** "Tue 20 Oct" (in the reader's locale) of an instant in `zone`. */
export function formatDay (ms: number, zone: string, locale?: string): string {
  return cachedFormat(`day|${zone}|${locale ?? ''}`, () =>
    new Intl.DateTimeFormat(locale, { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short' })).format(new Date(ms))
}

/** "Tue 20 Oct, 09:30–10:00" (the end's date too when it is another day) of two instants in `zone`. */
export function formatRange (start: number, end: number, zone: string, locale?: string): string {
  const sameDay = toLocal(start, zone).slice(0, 10) === toLocal(Math.max(start, end - 1), zone).slice(0, 10)
  const from = `${formatDay(start, zone, locale)}, ${formatClock(start, zone, locale)}`
  const to = sameDay ? formatClock(end, zone, locale) : `${formatDay(end, zone, locale)}, ${formatClock(end, zone, locale)}`
  return `${from}–${to}`
}

/** A calendar date (`YYYY-MM-DD`) in words, "Tue 20 Oct 2026", whatever the zone. */
export function formatDate (date: string, locale?: string, options: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }): string {
  const f = parseLocal(date)
  if (!f) return date
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(new Date(Date.UTC(f.year, f.month - 1, f.day)))
}
