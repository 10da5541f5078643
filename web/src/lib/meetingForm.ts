// The meeting editor's form as plain data: its values for a new meeting or
// for an existing one (the series, or one occurrence), what is wrong with
// them, the body to POST for a new meeting and the change to PATCH for an
// existing one (only what differs from what was shown), and the slot
// finder's request.

import type { EditScope, MeetingChange, MeetingView, NewMeeting, SlotRequest } from '../types'
import { buildRrule, NO_RECURRENCE, parseRrule, recurrenceProblem, type Recurrence } from './recurrence'
import { addDays, clockMinutes, clockText, fromLocal, parseInstant, parseLocal, toLocal, toRfc3339, todayIn } from './zonedTime'

/** The most reminders a meeting may have, and the earliest (4 weeks before), as the server checks. */
export const MAX_REMINDERS = 5
export const MAX_REMINDER_MINUTES = 4 * 7 * 24 * 60

export interface MeetingForm {
  title: string
  description: string
  /** `YYYY-MM-DD` of the start, in `zone`. */
  date: string
  /** `HH:MM`, in `zone`; an end not after the start is on the next day. */
  start: string
  end: string
  zone: string
  recurrence: Recurrence
  /** The meeting's rule when the picker cannot show it (kept unless the picker is changed). */
  customRule: string | null
  attendees: string[]
  /** Minutes before, as typed: "10" or "10, 60". */
  reminders: string
}

/** A new meeting on `date` (default: today) in `zone`: the next full hour today, else 09:00; half an hour. */
export function newMeetingForm (zone: string, now: number, date?: string): MeetingForm {
  const today = todayIn(zone, now)
  const day = date && parseLocal(date) && date >= today ? date : today
  let startMinutes = 9 * 60
  if (day === today) {
    const local = toLocal(now, zone)
    startMinutes = Math.min(23 * 60, (Number(local.slice(11, 13)) + 1) * 60)
  }
  return {
    title: '',
    description: '',
    date: day,
    start: clockText(startMinutes),
    end: clockText(startMinutes + 30),
    zone,
    recurrence: { ...NO_RECURRENCE },
    customRule: null,
    attendees: [],
    reminders: '10'
  }
}

/** The occurrence an existing meeting was opened at: its original local start and its instants. */
export interface OpenedOccurrence {
  recurrence_id: string
  /** RFC 3339. */
  start: string
  end: string
}

/**
 * The form of an existing meeting: for scope `all` its series start (the
 * first occurrence), else the opened occurrence's time (in the meeting's zone).
 */
export function meetingForm (meeting: MeetingView, scope: EditScope, occurrence?: OpenedOccurrence): MeetingForm {
  let startLocal = meeting.start
  let endLocal = meeting.end
  if (scope !== 'all' && occurrence) {
    const start = parseInstant(occurrence.start)
    const end = parseInstant(occurrence.end)
    if (!Number.isNaN(start) && !Number.isNaN(end)) {
      startLocal = toLocal(start, meeting.time_zone)
      endLocal = toLocal(end, meeting.time_zone)
    }
  }
  const recurrence = parseRrule(meeting.rrule)
  return {
    title: meeting.title,
    description: meeting.description,
    date: startLocal.slice(0, 10),
    start: startLocal.slice(11, 16),
    end: endLocal.slice(11, 16),
    zone: meeting.time_zone,
    recurrence: recurrence ?? { ...NO_RECURRENCE },
    customRule: recurrence ? null : meeting.rrule,
    attendees: meeting.attendees.map((a) => a.email),
    reminders: meeting.reminders_minutes.join(', ')
  }
}

/** `YYYY-MM-DDTHH:MM` of the form's start and end (an end not after the start is on the next day). */
export function localRange (form: MeetingForm): { start: string, end: string } | null {
  const s = clockMinutes(form.start)
  const e = clockMinutes(form.end)
  if (!parseLocal(form.date) || form.date.length !== 10 || s === null || e === null) return null
  return { start: `${form.date}T${form.start}`, end: `${e > s ? form.date : addDays(form.date, 1)}T${form.end}` }
}

/** Whether the end is on the day after the start. */
export function endsNextDay (form: MeetingForm): boolean {
  const range = localRange(form)
  return !!range && range.end.slice(0, 10) !== range.start.slice(0, 10)
}

/** The reminders typed, as minutes; a string in words when they are not. */
export function parseReminders (text: string): number[] | string {
  const parts = text.split(/[,;\s]+/).map((p) => p.trim()).filter(Boolean)
  const minutes: number[] = []
  for (const part of parts) {
    if (!/^\d+$/.test(part) || Number(part) > MAX_REMINDER_MINUTES) {
      return `Reminders are minutes before the start, from 0 to ${MAX_REMINDER_MINUTES}, like 10.`
    }
    if (!minutes.includes(Number(part))) minutes.push(Number(part))
  }
  if (minutes.length > MAX_REMINDERS) return `At most ${MAX_REMINDERS} reminders.`
  return minutes
}

/** What is wrong with the form, in words, or null. */
export function formProblem (form: MeetingForm): string | null {
  if (!form.title.trim()) return 'Give the meeting a title.'
  if (form.title.trim().length > 200) return 'The title is too long (200 characters at most).'
  const range = localRange(form)
  if (!range) return 'Choose a date, a start time and an end time.'
  if (form.start === form.end) return 'The meeting ends when it starts.'
  if (!form.zone) return 'Choose a time zone.'
  const reminders = parseReminders(form.reminders)
  if (typeof reminders === 'string') return reminders
  return recurrenceProblem(form.recurrence, form.date)
}

/** The form's rule: the picker's, or the meeting's own when the picker cannot show it. */
export function formRule (form: MeetingForm): string | null {
  return form.customRule ?? buildRrule(form.recurrence, form.date)
}

/** The body of `POST /workspaces/{ws}/meetings` (the form must have no problem). */
export function newMeetingBody (form: MeetingForm): NewMeeting {
  const range = localRange(form)!
  const rrule = formRule(form)
  const reminders = parseReminders(form.reminders)
  return {
    title: form.title.trim(),
    ...(form.description.trim() ? { description: form.description } : {}),
    start: range.start,
    end: range.end,
    time_zone: form.zone,
    ...(rrule ? { rrule } : {}),
    attendees: form.attendees,
    reminders_minutes: typeof reminders === 'string' ? [] : reminders
  }
}

const sameList = <T>(a: T[], b: T[]) => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * `PATCH /meetings/{id}`: the fields of `form` that differ from `shown` (what
 * the form started with). One occurrence changes only its title, description,
 * start and end.
 */
export function meetingChange (form: MeetingForm, shown: MeetingForm, scope: EditScope, recurrenceId?: string): MeetingChange {
  const change: MeetingChange = { scope }
  if (scope !== 'all' && recurrenceId) change.recurrence_id = recurrenceId
  if (form.title.trim() !== shown.title.trim()) change.title = form.title.trim()
  if (form.description !== shown.description) change.description = form.description
  const range = localRange(form)
  const before = localRange(shown)
  if (range && (!before || range.start !== before.start || range.end !== before.end)) {
    change.start = range.start
    change.end = range.end
  }
  if (scope === 'occurrence') return change
  if (form.zone !== shown.zone) {
    change.time_zone = form.zone
    // The wall-clock times are read in the new zone.
    if (range) {
      change.start = range.start
      change.end = range.end
    }
  }
  const rule = formRule(form)
  if (rule !== formRule(shown)) change.rrule = rule
  if (!sameList(form.attendees, shown.attendees)) change.attendees = form.attendees
  const reminders = parseReminders(form.reminders)
  const shownReminders = parseReminders(shown.reminders)
  if (typeof reminders !== 'string' && (typeof shownReminders === 'string' || !sameList(reminders, shownReminders))) {
    change.reminders_minutes = reminders
  }
  return change
}

/** Whether a change changes anything beyond its scope. */
export function changesSomething (change: MeetingChange): boolean {
  return Object.keys(change).some((k) => k !== 'scope' && k !== 'recurrence_id')
}

/** The meeting's length in minutes from the form (30 when it cannot tell). */
export function durationMinutes (form: MeetingForm): number {
  const range = localRange(form)
  if (!range) return 30
  const minutes = Math.round((fromLocal(range.end, form.zone) - fromLocal(range.start, form.zone)) / 60_000)
  return Number.isFinite(minutes) && minutes > 0 ? minutes : 30
}

/**
 * The slot finder's request: from the start of the form's day (in its zone)
 * or now, whichever is later, for a week; instants with `userZone`'s offset.
 */
export function slotRequest (form: MeetingForm, attendees: string[], userZone: string, now: number): SlotRequest {
  const dayStart = parseLocal(form.date) ? fromLocal(`${form.date}T00:00`, form.zone) : NaN
  const from = Number.isNaN(dayStart) ? now : Math.max(dayStart, now)
  return {
    attendees,
    duration_minutes: durationMinutes(form),
    from: toRfc3339(from, userZone),
    to: toRfc3339(from + 7 * 86_400_000, userZone)
  }
}

/** The form with a proposed slot's start and end (instants), read in the form's zone. */
export function withSlot (form: MeetingForm, start: string, end: string): MeetingForm {
  const s = parseInstant(start)
  const e = parseInstant(end)
  if (Number.isNaN(s) || Number.isNaN(e)) return form
  const localStart = toLocal(s, form.zone)
  const localEnd = toLocal(e, form.zone)
  return { ...form, date: localStart.slice(0, 10), start: localStart.slice(11, 16), end: localEnd.slice(11, 16) }
}

/** The (start) instant of the form, for showing where the meeting lands. */
export function formStartInstant (form: MeetingForm): number {
  const range = localRange(form)
  return range ? fromLocal(range.start, form.zone) : NaN
}
