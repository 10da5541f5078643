import { describe, expect, it } from 'vitest'
import { layoutWeek, occurrenceClock, weekOf } from '../src/lib/calendar'
import { dueReminders, reminderKey, startsIn } from '../src/lib/meetingReminders'
import {
  changesSomething,
  formProblem,
  meetingChange,
  meetingForm,
  newMeetingBody,
  newMeetingForm,
  parseReminders,
  slotRequest,
  withSlot
} from '../src/lib/meetingForm'
import { addDays, fromLocal, offsetMinutes, toLocal, toRfc3339, todayIn, weekdayOf } from '../src/lib/zonedTime'
import type { AgendaOccurrence, MeetingView } from '../src/types'

function occurrence (start: string, end: string, over: Partial<AgendaOccurrence> = {}): AgendaOccurrence {
  return {
    meeting_id: 'm1',
    title: 'Standup',
    start,
    end,
    recurrence_id: start.slice(0, 16),
    workspace_id: 'w1',
    room_id: 'r1',
    time_zone: 'Europe/London',
    organizer_id: 'u1',
    response: null,
    reminders_minutes: [10],
    ...over
  }
}

describe('wall-clock times in a zone', () => {
  it('reads instants in a zone and writes RFC 3339 with its offset', () => {
    const at = Date.parse('2026-10-20T08:30:00Z')
    expect(toLocal(at, 'Europe/London')).toBe('2026-10-20T09:30')
    expect(toLocal(at, 'America/New_York')).toBe('2026-10-20T04:30')
    expect(toLocal(at, 'Asia/Kolkata')).toBe('2026-10-20T14:00')
    expect(offsetMinutes(at, 'Asia/Kolkata')).toBe(330)
    expect(toRfc3339(at, 'Europe/London')).toBe('2026-10-20T09:30:00+01:00')
    expect(toRfc3339(at, 'America/New_York')).toBe('2026-10-20T04:30:00-04:00')
    expect(toRfc3339(at, 'UTC')).toBe('2026-10-20T08:30:00+00:00')
  })

  it('finds the instant of a local time, across DST gaps and overlaps', () => {
    expect(fromLocal('2026-10-20T09:30', 'Europe/London')).toBe(Date.parse('2026-10-20T08:30:00Z'))
    expect(fromLocal('2026-12-20T09:30', 'Europe/London')).toBe(Date.parse('2026-12-20T09:30:00Z'))
    // 01:30 happens twice on 25 October 2026 in London: the first (BST) one.
    expect(fromLocal('2026-10-25T01:30', 'Europe/London')).toBe(Date.parse('2026-10-25T00:30:00Z'))
    // 01:30 does not exist on 29 March 2026 in London: moved forward by the gap, to 02:30 BST.
    const gap = fromLocal('2026-03-29T01:30', 'Europe/London')
    expect(gap).toBe(Date.parse('2026-03-29T01:30:00Z'))
    expect(toLocal(gap, 'Europe/London')).toBe('2026-03-29T02:30')
    expect(fromLocal('not a time', 'UTC')).toBeNaN()
  })

  it('does date arithmetic on calendar dates', () => {
    expect(addDays('2026-10-31', 1)).toBe('2026-11-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(weekdayOf('2026-10-19')).toBe(0)
    expect(weekdayOf('2026-10-25')).toBe(6)
    expect(todayIn('Pacific/Auckland', Date.parse('2026-10-20T12:00:00Z'))).toBe('2026-10-21')
    expect(todayIn('America/Los_Angeles', Date.parse('2026-10-20T06:00:00Z'))).toBe('2026-10-19')
  })
})

describe('the week layout', () => {
  it('is Monday to Sunday in the user\'s zone, bounded by local midnights', () => {
    const week = weekOf('2026-10-22', 'Europe/London')
    expect(week.days).toEqual(['2026-10-19', '2026-10-20', '2026-10-21', '2026-10-22', '2026-10-23', '2026-10-24', '2026-10-25'])
    // The week in which London leaves summer time: it starts at +01:00 and ends at +00:00.
    expect(week.from).toBe('2026-10-19T00:00:00+01:00')
    expect(week.to).toBe('2026-10-26T00:00:00+00:00')
    expect(weekOf('2026-10-19', 'Europe/London').days[0]).toBe('2026-10-19')
    expect(weekOf('2026-10-25', 'Europe/London').days[0]).toBe('2026-10-19')
  })

  it('places occurrences by their local start and end in the zone, through a DST change', () => {
    const zone = 'Europe/London'
    const { days } = weekOf('2026-10-22', zone)
    const placed = layoutWeek([
      // Monday 09:30–10:00 BST, sent with the user's offset.
      occurrence('2026-10-19T09:30:00+01:00', '2026-10-19T10:00:00+01:00', { recurrence_id: 'mon' }),
      // Sunday after the change: 09:30–10:00 GMT; the same wall-clock rows as Monday's.
      occurrence('2026-10-25T09:30:00+00:00', '2026-10-25T10:00:00+00:00', { recurrence_id: 'sun' }),
      // Given in UTC: Wednesday 14:00Z is 15:00 BST.
      occurrence('2026-10-21T14:00:00Z', '2026-10-21T15:30:00Z', { recurrence_id: 'wed' }),
      // Out of the week.
      occurrence('2026-10-26T09:30:00+00:00', '2026-10-26T10:00:00+00:00', { recurrence_id: 'next' })
    ], days, zone)
    const where = Object.fromEntries(placed.map((p) => [p.occurrence.recurrence_id, [p.day, p.top, p.bottom]]))
    expect(where).toEqual({ mon: [0, 570, 600], wed: [2, 900, 990], sun: [6, 570, 600] })
  })

  it('places the same instants elsewhere for a user in another zone', () => {
    const zone = 'America/New_York'
    const { days } = weekOf('2026-11-04', zone) // New York leaves summer time on Sunday 1 November
    expect(days[0]).toBe('2026-11-02')
    const placed = layoutWeek([occurrence('2026-11-02T09:30:00+00:00', '2026-11-02T10:00:00+00:00')], days, zone)
    expect(placed.map((p) => [p.day, p.top])).toEqual([[0, 270]]) // 04:30 EST
    expect(occurrenceClock(placed[0].occurrence, zone)).toBe('04:30–05:00')
  })

  it('splits an occurrence over midnight and keeps a fall-back hour readable', () => {
    const zone = 'Europe/London'
    const { days } = weekOf('2026-10-22', zone)
    const placed = layoutWeek([
      occurrence('2026-10-20T23:00:00+01:00', '2026-10-21T01:00:00+01:00'),
      // 01:45 BST to 01:15 GMT is 30 minutes, though the wall clock goes back.
      occurrence('2026-10-25T01:45:00+01:00', '2026-10-25T01:15:00+00:00', { recurrence_id: 'dst' }),
      // Ends exactly at midnight: one piece.
      occurrence('2026-10-22T23:00:00+01:00', '2026-10-23T00:00:00+01:00', { recurrence_id: 'late' })
    ], days, zone)
    expect(placed.map((p) => [p.day, p.top, p.bottom, p.continuesBefore, p.continuesAfter])).toEqual([
      [1, 1380, 1440, false, true],
      [2, 0, 60, true, false],
      [3, 1380, 1440, false, false],
      [6, 105, 120, false, false]
    ])
  })

  it('puts overlapping occurrences side by side', () => {
    const zone = 'UTC'
    const { days } = weekOf('2026-10-19', zone)
    const placed = layoutWeek([
      occurrence('2026-10-19T09:00:00Z', '2026-10-19T10:00:00Z', { recurrence_id: 'a' }),
      occurrence('2026-10-19T09:30:00Z', '2026-10-19T10:30:00Z', { recurrence_id: 'b' }),
      occurrence('2026-10-19T10:00:00Z', '2026-10-19T11:00:00Z', { recurrence_id: 'c' }),
      occurrence('2026-10-19T12:00:00Z', '2026-10-19T13:00:00Z', { recurrence_id: 'd' })
    ], days, zone)
    const cols = Object.fromEntries(placed.map((p) => [p.occurrence.recurrence_id, [p.column, p.columns]]))
    expect(cols).toEqual({ a: [0, 2], b: [1, 2], c: [0, 2], d: [0, 1] })
  })
})

describe('in-app reminders', () => {
  const now = Date.parse('2026-10-20T08:52:00Z')
  const soon = occurrence('2026-10-20T09:00:00Z', '2026-10-20T09:30:00Z', { reminders_minutes: [10] })
  const later = occurrence('2026-10-20T10:00:00Z', '2026-10-20T10:30:00Z', { meeting_id: 'm2', reminders_minutes: [10] })
  const started = occurrence('2026-10-20T08:45:00Z', '2026-10-20T09:15:00Z', { meeting_id: 'm3', reminders_minutes: [10] })
  const atStart = occurrence('2026-10-20T08:51:30Z', '2026-10-20T09:30:00Z', { meeting_id: 'm4', reminders_minutes: [0] })

  it('are due once the reminder time passed and before the start', () => {
    const due = dueReminders([later, started, soon, atStart], now, new Set())
    expect(due.map((d) => [d.occurrence.meeting_id, d.minutesLeft])).toEqual([['m4', 0], ['m1', 8]])
    expect(startsIn(8)).toBe('starts in 8 minutes')
    expect(startsIn(1)).toBe('starts in 1 minute')
    expect(startsIn(0)).toBe('starts now')
  })

  it('are shown once per occurrence, even with several reminders due', () => {
    const twice = { ...soon, reminders_minutes: [30, 10] }
    expect(dueReminders([twice, twice], now, new Set())).toHaveLength(1)
    expect(dueReminders([twice], now, new Set([reminderKey(twice)]))).toEqual([])
    const next = { ...soon, recurrence_id: '2026-10-21T10:00', start: '2026-10-21T09:00:00Z' }
    expect(dueReminders([next], now, new Set([reminderKey(soon)]))).toEqual([])
  })
})

describe('the meeting form', () => {
  const meeting: MeetingView = {
    id: 'm1',
    uid: 'm1@reynard',
    workspace_id: 'w1',
    room_id: 'r1',
    organizer_id: 'u1',
    organizer: { email: 'ada@example.org', name: 'Ada' },
    title: 'Standup',
    description: '',
    start: '2026-10-19T09:30',
    end: '2026-10-19T10:00',
    time_zone: 'Europe/London',
    rrule: 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10',
    attendees: [{ email: 'bob@example.org', user_id: 'u2', response: 'accepted' }],
    reminders_minutes: [10],
    sequence: 0,
    cancelled: false,
    conflicts: []
  }

  it('starts a new meeting at the next full hour today, for half an hour', () => {
    const form = newMeetingForm('Europe/London', Date.parse('2026-10-20T08:10:00Z'))
    expect([form.date, form.start, form.end, form.zone, form.reminders]).toEqual(['2026-10-20', '10:00', '10:30', 'Europe/London', '10'])
    expect(newMeetingForm('UTC', Date.parse('2026-10-20T08:10:00Z'), '2026-10-23').start).toBe('09:00')
    expect(formProblem(form)).toMatch(/title/)
  })

  it('builds the body to create', () => {
    const form = {
      ...newMeetingForm('Europe/London', Date.parse('2026-10-20T08:10:00Z')),
      title: ' Planning ',
      end: '09:30',
      start: '23:30',
      recurrence: { frequency: 'weekly' as const, weekdays: ['MO' as const, 'WE' as const], end: { kind: 'count' as const, count: 10 } },
      attendees: ['bob@example.org', 'guest@example.org'],
      reminders: '10, 60'
    }
    expect(formProblem(form)).toBeNull()
    expect(newMeetingBody(form)).toEqual({
      title: 'Planning',
      start: '2026-10-20T23:30',
      end: '2026-10-21T09:30',
      time_zone: 'Europe/London',
      rrule: 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10',
      attendees: ['bob@example.org', 'guest@example.org'],
      reminders_minutes: [10, 60]
    })
    expect(parseReminders('10 10 x')).toMatch(/minutes/)
    expect(parseReminders('1, 2, 3, 4, 5, 6')).toMatch(/At most 5/)
  })

  it('sends only what changed, for the scope chosen', () => {
    const occ = { recurrence_id: '2026-10-21T09:30', start: '2026-10-21T09:30:00+01:00', end: '2026-10-21T10:00:00+01:00' }
    const shown = meetingForm(meeting, 'occurrence', occ)
    expect([shown.date, shown.start, shown.end]).toEqual(['2026-10-21', '09:30', '10:00'])
    expect(changesSomething(meetingChange(shown, shown, 'occurrence', occ.recurrence_id))).toBe(false)
    expect(meetingChange({ ...shown, start: '11:00', end: '11:30', attendees: [] }, shown, 'occurrence', occ.recurrence_id))
      .toEqual({ scope: 'occurrence', recurrence_id: '2026-10-21T09:30', start: '2026-10-21T11:00', end: '2026-10-21T11:30' })

    const all = meetingForm(meeting, 'all', occ)
    expect([all.date, all.start]).toEqual(['2026-10-19', '09:30'])
    expect(meetingChange({ ...all, title: 'Daily', recurrence: { ...all.recurrence, frequency: 'daily' } }, all, 'all'))
      .toEqual({ scope: 'all', title: 'Daily', rrule: 'FREQ=DAILY;COUNT=10' })
    expect(meetingChange({ ...all, recurrence: { ...all.recurrence, frequency: 'none' } }, all, 'all'))
      .toEqual({ scope: 'all', rrule: null })
    expect(meetingChange({ ...all, zone: 'America/New_York', reminders: '' }, all, 'following', '2026-10-21T09:30'))
      .toEqual({ scope: 'following', recurrence_id: '2026-10-21T09:30', time_zone: 'America/New_York', start: '2026-10-19T09:30', end: '2026-10-19T10:00', reminders_minutes: [] })
  })

  it('asks for slots from the chosen day (or now) for a week, and reads a slot in the editor\'s zone', () => {
    const form = { ...newMeetingForm('Europe/London', Date.parse('2026-10-20T08:10:00Z'), '2026-10-22'), start: '09:00', end: '09:45' }
    expect(slotRequest(form, ['bob@example.org'], 'Asia/Tokyo', Date.parse('2026-10-20T08:10:00Z'))).toEqual({
      attendees: ['bob@example.org'],
      duration_minutes: 45,
      from: '2026-10-22T08:00:00+09:00',
      to: '2026-10-29T08:00:00+09:00'
    })
    const today = { ...form, date: '2026-10-20' }
    expect(slotRequest(today, [], 'UTC', Date.parse('2026-10-20T08:10:00Z')).from).toBe('2026-10-20T08:10:00+00:00')
    const picked = withSlot({ ...form, zone: 'America/New_York' }, '2026-10-23T14:00:00+01:00', '2026-10-23T14:45:00+01:00')
    expect([picked.date, picked.start, picked.end]).toEqual(['2026-10-23', '09:00', '09:45'])
  })
})
