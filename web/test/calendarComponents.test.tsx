import { Route, Router } from '@solidjs/router'
import { fireEvent, render, screen, waitFor } from '@solidjs/testing-library'
import { createRoot, type JSX } from 'solid-js'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../src/api'
import { AttendeeInput } from '../src/components/AttendeeInput'
import { CalendarFeedSection } from '../src/components/CalendarFeedSection'
import { MeetingDetails } from '../src/components/MeetingDetails'
import { MeetingEditor, SlotList } from '../src/components/MeetingEditor'
import { MeetingReminders } from '../src/components/MeetingReminders'
import { AuthProvider } from '../src/context'
import { weekOf } from '../src/lib/calendar'
import { CalendarPage, WeekView } from '../src/pages/CalendarPage'
import { RsvpPage } from '../src/pages/RsvpPage'
import { createAuth } from '../src/stores/auth'
import { createReminders } from '../src/stores/reminders'
import type { AgendaOccurrence, MeetingView, Slot } from '../src/types'
import { fakeApi, memoryStorage } from './fakes'

function withRouter (view: () => JSX.Element, url = '/') {
  window.history.replaceState({}, '', url)
  return render(() => <Router><Route path="*" component={view} /></Router>)
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

function occurrence (over: Partial<AgendaOccurrence> = {}): AgendaOccurrence {
  return {
    meeting_id: 'm1',
    title: 'Standup',
    start: '2026-10-20T09:30:00+01:00',
    end: '2026-10-20T10:00:00+01:00',
    recurrence_id: '2026-10-20T09:30',
    workspace_id: 'w1',
    room_id: 'r1',
    time_zone: 'Europe/London',
    organizer_id: 'u1',
    response: null,
    reminders_minutes: [10],
    ...over
  }
}

function meeting (over: Partial<MeetingView> = {}): MeetingView {
  return {
    id: 'm1',
    uid: 'm1@reynard',
    workspace_id: 'w1',
    room_id: 'r1',
    organizer_id: 'u1',
    organizer: { email: 'ada@example.org', name: 'Ada' },
    title: 'Standup',
    description: 'Daily sync',
    start: '2026-10-20T09:30',
    end: '2026-10-20T10:00',
    time_zone: 'Europe/London',
    rrule: 'FREQ=WEEKLY;BYDAY=TU;COUNT=10',
    attendees: [
      { email: 'bob@example.org', user_id: 'u2', response: 'needs_action' },
      { email: 'guest@example.org', user_id: null, response: 'tentative' }
    ],
    reminders_minutes: [10],
    sequence: 0,
    cancelled: false,
    conflicts: [],
    ...over
  }
}

const slots: Slot[] = [
  { start: '2026-10-21T08:00:00Z', end: '2026-10-21T08:30:00Z', score: 0, reasons: ['ada@example.org: 09:00 Europe/London', 'bob@example.org: 10:00 Europe/Berlin'] },
  { start: '2026-10-21T09:00:00Z', end: '2026-10-21T09:30:00Z', score: 1, reasons: ['ada@example.org: 10:00 Europe/London'] }
]

describe('WeekView', () => {
  it('shows seven days and places each occurrence by its local time, with title and time', () => {
    const onOpen = vi.fn()
    const week = weekOf('2026-10-22', 'Europe/London')
    withRouter(() => (
      <WeekView week={week} zone="Europe/London" today="2026-10-22"
        occurrences={[occurrence(), occurrence({ recurrence_id: 'sun', start: '2026-10-25T09:30:00Z', end: '2026-10-25T10:30:00Z', response: 'needs_action' })]}
        onPrevious={vi.fn()} onNext={vi.fn()} onToday={vi.fn()} onOpen={onOpen} onNew={vi.fn()} />
    ))
    const root = screen.getByTestId('calendar-week')
    expect(root.querySelectorAll('.week-day')).toHaveLength(7)
    expect(root.getAttribute('data-from')).toBe('2026-10-19T00:00:00+01:00')
    const items = screen.getAllByTestId('meeting-item')
    expect(items).toHaveLength(2)
    expect(items[0].textContent).toContain('Standup')
    expect(items[0].textContent).toContain('09:30–10:00')
    expect(items[0].getAttribute('data-day')).toBe('2026-10-20')
    expect(items[0].style.top).toBe(`${(570 / 1440) * 100}%`)
    // After the clocks go back, 09:30Z is 09:30 local.
    expect(items[1].getAttribute('data-day')).toBe('2026-10-25')
    expect(items[1].textContent).toContain('09:30–10:30')
    expect(items[1].className).toContain('answer-needs_action')
    fireEvent.click(items[1])
    expect(onOpen).toHaveBeenCalledWith(expect.objectContaining({ recurrence_id: 'sun' }))
    expect(screen.getByTestId('calendar-zone').textContent).toBe('Times in Europe/London')
  })

  it('moves between weeks', () => {
    const props = { onPrevious: vi.fn(), onNext: vi.fn(), onToday: vi.fn(), onNew: vi.fn() }
    withRouter(() => <WeekView week={weekOf('2026-10-22', 'UTC')} zone="UTC" today="2026-10-22" occurrences={[]} onOpen={vi.fn()} {...props} />)
    fireEvent.click(screen.getByLabelText('Previous week'))
    fireEvent.click(screen.getByLabelText('Next week'))
    fireEvent.click(screen.getByText('Today'))
    fireEvent.click(screen.getByTestId('new-meeting'))
    expect([props.onPrevious, props.onNext, props.onToday, props.onNew].map((f) => f.mock.calls.length)).toEqual([1, 1, 1, 1])
    expect(screen.getByText('No meetings this week.')).toBeTruthy()
  })
})

describe('the calendar page', () => {
  it('asks for the week in the user\'s zone and opens the editor', async () => {
    const agent = fakeApi()
    agent.auth.session.mockResolvedValue({ user: { id: 'u1', email: 'ada@example.org', name: 'Ada' } })
    agent.auth.me.mockResolvedValue({ id: 'u1', email: 'ada@example.org', name: 'Ada', time_zone: 'Asia/Tokyo' })
    agent.workspaces.list.mockResolvedValue([{ id: 'w1', name: 'Lighthouse', role: 'editor' }, { id: 'w2', name: 'Read only', role: 'viewer' }])
    agent.schedule.agenda.mockResolvedValue([occurrence({ start: '2026-10-20T09:30:00+09:00', end: '2026-10-20T10:00:00+09:00' })])
    const auth = createRoot(() => createAuth(agent, memoryStorage()))
    withRouter(() => <AuthProvider auth={auth}><CalendarPage agent={agent} now={() => Date.parse('2026-10-21T00:00:00Z')} /></AuthProvider>, '/calendar')
    await waitFor(() => expect(screen.getAllByTestId('meeting-item')).toHaveLength(1))
    expect(agent.schedule.agenda).toHaveBeenCalledWith('2026-10-19T00:00:00+09:00', '2026-10-26T00:00:00+09:00')
    expect(screen.getByTestId('meeting-item').textContent).toContain('09:30–10:00')
    fireEvent.click(screen.getByTestId('new-meeting'))
    const picker = await screen.findByTestId('meeting-workspace') as HTMLSelectElement
    expect([...picker.options].map((o) => o.textContent)).toEqual(['Lighthouse'])
    expect((screen.getByTestId('meeting-time-zone') as HTMLSelectElement).value).toBe('Asia/Tokyo')
    fireEvent.click(screen.getByLabelText('Next week'))
    await waitFor(() => expect(agent.schedule.agenda).toHaveBeenLastCalledWith('2026-10-26T00:00:00+09:00', '2026-11-02T00:00:00+09:00'))
    expect(window.location.search).toBe('?week=2026-10-26')
  })
})

describe('SlotList', () => {
  it('lists proposals in the user\'s zone with their reasons; a click picks one', () => {
    const onPick = vi.fn()
    render(() => <SlotList slots={slots} zone="Asia/Tokyo" picked={1} onPick={onPick} />)
    const items = screen.getAllByTestId('slot-item')
    expect(items).toHaveLength(2)
    expect(items[0].textContent).toMatch(/(17:00|5:00 PM).(17:30|5:30 PM)/)
    expect(items[0].textContent).toContain('bob@example.org: 10:00 Europe/Berlin')
    expect(items[1].getAttribute('aria-pressed')).toBe('true')
    fireEvent.click(items[0])
    expect(onPick).toHaveBeenCalledWith(0)
  })

  it('says when nothing suits', () => {
    render(() => <SlotList slots={[]} zone="UTC" picked={null} onPick={vi.fn()} />)
    expect(screen.getByTestId('no-slots')).toBeTruthy()
  })
})

describe('AttendeeInput', () => {
  it('turns emails into chips on Enter, commas and blur; refuses what is not an email', () => {
    let emails: string[] = []
    const onChange = vi.fn((next: string[]) => { emails = next })
    const { unmount } = render(() => <AttendeeInput emails={[]} onChange={onChange} />)
    const input = screen.getByTestId('attendee-input') as HTMLInputElement
    fireEvent.input(input, { target: { value: 'Bob@Example.org' } })
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(emails).toEqual(['bob@example.org'])
    fireEvent.input(input, { target: { value: 'a@x.org, nope,' } })
    expect(onChange).toHaveBeenLastCalledWith(['a@x.org'])
    expect(screen.getByRole('alert').textContent).toContain('nope')
    unmount()
  })
})

describe('MeetingEditor', () => {
  it('finds slots with members only, fills the time from a slot, and schedules', async () => {
    const agent = fakeApi()
    agent.members.list.mockResolvedValue([
      { user_id: 'u1', email: 'ada@example.org', name: 'Ada', role: 'owner' },
      { user_id: 'u2', email: 'bob@example.org', name: 'Bob', role: 'editor' }
    ])
    agent.schedule.slots.mockResolvedValue(slots)
    const created = meeting({ rrule: null, conflicts: [{ email: 'bob@example.org', start: '2026-10-21T11:00:00Z', end: '2026-10-21T12:00:00Z' }] })
    agent.meetings.create.mockResolvedValue(created)
    const onSaved = vi.fn()
    render(() => (
      <MeetingEditor agent={agent} userZone="Europe/London" userEmail="ada@example.org"
        workspaces={[{ id: 'w1', name: 'Lighthouse', role: 'owner' }]} now={() => Date.parse('2026-10-20T08:10:00Z')}
        onSaved={onSaved} onClose={vi.fn()} />
    ))
    fireEvent.input(screen.getByTestId('meeting-title'), { target: { value: 'Planning' } })
    const attendees = screen.getByTestId('attendee-input')
    fireEvent.input(attendees, { target: { value: 'bob@example.org' } })
    fireEvent.keyDown(attendees, { key: 'Enter' })
    fireEvent.input(attendees, { target: { value: 'guest@example.org' } })
    fireEvent.keyDown(attendees, { key: 'Enter' })
    expect(screen.getAllByTestId('attendee-chip')).toHaveLength(2)

    fireEvent.click(screen.getByTestId('find-slots'))
    await waitFor(() => expect(screen.getAllByTestId('slot-item')).toHaveLength(2))
    expect(agent.schedule.slots).toHaveBeenCalledWith({
      attendees: ['bob@example.org'],
      duration_minutes: 30,
      from: '2026-10-20T09:10:00+01:00',
      to: '2026-10-27T08:10:00+00:00' // a week later, after the clocks went back
    })
    expect(screen.getByTestId('slot-skipped').textContent).toContain('guest@example.org')

    // A slot is read in the editor's zone, changed to New York first.
    fireEvent.change(screen.getByTestId('meeting-time-zone'), { target: { value: 'America/New_York' } })
    fireEvent.click(screen.getAllByTestId('slot-item')[0])
    expect((screen.getByTestId('meeting-date') as HTMLInputElement).value).toBe('2026-10-21')
    expect((screen.getByTestId('meeting-start') as HTMLInputElement).value).toBe('04:00')
    expect((screen.getByTestId('meeting-end') as HTMLInputElement).value).toBe('04:30')

    fireEvent.change(screen.getByTestId('meeting-recurrence'), { target: { value: 'weekly' } })
    fireEvent.click(screen.getByTestId('weekday-WE'))
    fireEvent.click(screen.getByTestId('weekday-FR'))
    fireEvent.change(screen.getByTestId('meeting-ends'), { target: { value: 'count' } })
    fireEvent.input(screen.getByTestId('meeting-count'), { target: { value: '6' } })
    fireEvent.click(screen.getByTestId('meeting-save'))
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(created))
    expect(agent.meetings.create).toHaveBeenCalledWith('w1', {
      title: 'Planning',
      start: '2026-10-21T04:00',
      end: '2026-10-21T04:30',
      time_zone: 'America/New_York',
      rrule: 'FREQ=WEEKLY;BYDAY=WE,FR;COUNT=6',
      attendees: ['bob@example.org', 'guest@example.org'],
      reminders_minutes: [10]
    })
  })

  it('shows the slot finder\'s error inline, and refuses a form without a title', async () => {
    const agent = fakeApi()
    agent.members.list.mockRejectedValue(new ApiError(403, 'forbidden', 'no'))
    agent.schedule.slots.mockRejectedValue(new ApiError(400, 'invalid_input', 'carol@example.org shares no workspace with you'))
    render(() => (
      <MeetingEditor agent={agent} userZone="UTC" userEmail="ada@example.org" workspaces={[{ id: 'w1', name: 'W', role: 'owner' }]}
        onSaved={vi.fn()} onClose={vi.fn()} />
    ))
    const attendees = screen.getByTestId('attendee-input')
    fireEvent.input(attendees, { target: { value: 'carol@example.org' } })
    fireEvent.keyDown(attendees, { key: 'Enter' })
    fireEvent.click(screen.getByTestId('find-slots'))
    await screen.findByText(/carol@example.org shares no workspace with you/)
    fireEvent.click(screen.getByTestId('meeting-save'))
    await screen.findByText('Give the meeting a title.')
    expect(agent.meetings.create).not.toHaveBeenCalled()
  })

  it('edits one occurrence of a recurring meeting with PATCH', async () => {
    const agent = fakeApi()
    agent.meetings.update.mockResolvedValue(meeting({ title: 'Moved' }))
    const onSaved = vi.fn()
    render(() => (
      <MeetingEditor agent={agent} userZone="Europe/London" userEmail="ada@example.org" workspaces={[]}
        meeting={meeting()} occurrence={{ recurrence_id: '2026-10-27T09:30', start: '2026-10-27T09:30:00Z', end: '2026-10-27T10:00:00Z' }}
        onSaved={onSaved} onClose={vi.fn()} />
    ))
    expect((screen.getByTestId('meeting-date') as HTMLInputElement).value).toBe('2026-10-27')
    expect((screen.getByTestId('meeting-time-zone') as HTMLSelectElement).disabled).toBe(true)
    fireEvent.input(screen.getByTestId('meeting-start'), { target: { value: '11:00' } })
    fireEvent.input(screen.getByTestId('meeting-end'), { target: { value: '11:30' } })
    fireEvent.click(screen.getByTestId('meeting-save'))
    await waitFor(() => expect(onSaved).toHaveBeenCalled())
    expect(agent.meetings.update).toHaveBeenCalledWith('m1', {
      scope: 'occurrence', recurrence_id: '2026-10-27T09:30', start: '2026-10-27T11:00', end: '2026-10-27T11:30'
    })
  })
})

describe('MeetingDetails', () => {
  function show (userId: string, userEmail: string, agent = fakeApi()) {
    const handlers = { onChanged: vi.fn(), onEdit: vi.fn(), onClose: vi.fn() }
    withRouter(() => (
      <MeetingDetails agent={agent} meetingId="m1" occurrence={occurrence({ response: userId === 'u1' ? null : 'needs_action' })}
        userId={userId} userEmail={userEmail} userZone="America/New_York" {...handlers} />
    ))
    return handlers
  }

  it('lets an invitee answer with the RSVP buttons', async () => {
    const agent = fakeApi()
    agent.meetings.get.mockResolvedValue(meeting())
    const answered = meeting({ attendees: [{ email: 'bob@example.org', user_id: 'u2', response: 'accepted' }] })
    agent.meetings.rsvp.mockResolvedValue(answered)
    const h = show('u2', 'bob@example.org', agent)
    await screen.findByTestId('rsvp-accept')
    expect(screen.getByTestId('meeting-when').textContent).toMatch(/0?4:30( AM)?.0?5:00/)
    expect(screen.getByTestId('meeting-zone').textContent).toContain('Europe/London')
    expect(screen.getByTestId('meeting-recurrence-text').textContent).toBe('Weekly on Tuesday, 10 times')
    expect(screen.getByTestId('join-call').getAttribute('href')).toBe('/w/w1/r/r1')
    expect(screen.queryByTestId('cancel-meeting')).toBeNull()
    fireEvent.click(screen.getByTestId('rsvp-accept'))
    await waitFor(() => expect(screen.getByTestId('rsvp-accept').getAttribute('aria-pressed')).toBe('true'))
    expect(agent.meetings.rsvp).toHaveBeenCalledWith('m1', 'accepted')
    expect(h.onChanged).toHaveBeenCalled()
  })

  it('shows the organizer everyone\'s answers and cancels one occurrence', async () => {
    const agent = fakeApi()
    agent.meetings.get.mockResolvedValue(meeting())
    agent.meetings.cancel.mockResolvedValue(undefined)
    const h = show('u1', 'ada@example.org', agent)
    await screen.findByTestId('cancel-occurrence')
    const people = screen.getAllByTestId('meeting-attendee')
    expect(people.map((p) => [p.getAttribute('data-email'), p.getAttribute('data-response')])).toEqual([
      ['bob@example.org', 'needs_action'], ['guest@example.org', 'tentative']
    ])
    expect(screen.queryByTestId('rsvp-accept')).toBeNull()
    fireEvent.click(screen.getByTestId('cancel-occurrence'))
    fireEvent.click(screen.getByTestId('confirm-cancel'))
    await waitFor(() => expect(h.onClose).toHaveBeenCalled())
    expect(agent.meetings.cancel).toHaveBeenCalledWith('m1', '2026-10-20T09:30')
    expect(h.onChanged).toHaveBeenCalled()
    fireEvent.click(screen.getByTestId('edit-meeting'))
    expect(h.onEdit).toHaveBeenCalledWith(meeting())
  })
})

describe('RsvpPage', () => {
  it('shows the invitation of a mailed link and records the answer', async () => {
    const agent = fakeApi()
    const invitation = {
      meeting_id: 'm1', title: 'Planning', start: '2026-10-21T09:00', end: '2026-10-21T09:30', time_zone: 'Europe/London',
      organizer: { email: 'ada@example.org', name: 'Ada' }, email: 'guest@example.org', response: 'needs_action' as const
    }
    agent.rsvp.get.mockResolvedValue(invitation)
    agent.rsvp.answer.mockResolvedValue({ ...invitation, response: 'declined' })
    window.history.replaceState({}, '', '/rsvp/tok_123')
    render(() => <Router><Route path="/rsvp/:token" component={() => <RsvpPage agent={agent} />} /></Router>)
    await screen.findByRole('heading', { name: 'Planning' })
    expect(agent.rsvp.get).toHaveBeenCalledWith('tok_123')
    expect(screen.getByTestId('rsvp-response').textContent).toContain('Not answered yet')
    fireEvent.click(screen.getByTestId('rsvp-decline'))
    await waitFor(() => expect(screen.getByTestId('rsvp-response').getAttribute('data-response')).toBe('declined'))
    expect(agent.rsvp.answer).toHaveBeenCalledWith('tok_123', 'declined')
    expect(screen.getByTestId('rsvp-response').textContent).toContain('Declined')
  })
})

describe('CalendarFeedSection', () => {
  it('shows the feed address and makes a new one on confirmation', async () => {
    const agent = fakeApi()
    agent.schedule.calendarFeed.mockResolvedValue({ url: 'https://r.example/ics/old.ics' })
    agent.schedule.rotateCalendarFeed.mockResolvedValue({ url: 'https://r.example/ics/new.ics' })
    render(() => <CalendarFeedSection agent={agent} />)
    const input = await screen.findByTestId('calendar-feed-url') as HTMLInputElement
    expect(input.value).toBe('https://r.example/ics/old.ics')
    expect(input.readOnly).toBe(true)
    fireEvent.click(screen.getByTestId('rotate-calendar-feed'))
    fireEvent.click(screen.getByTestId('rotate-calendar-feed-confirm'))
    await waitFor(() => expect((screen.getByTestId('calendar-feed-url') as HTMLInputElement).value).toBe('https://r.example/ics/new.ics'))
  })
})

describe('the reminders store', () => {
  it('shows a due reminder once, even after a reload', async () => {
    const agent = fakeApi()
    const now = () => Date.parse('2026-10-20T08:25:00Z')
    agent.schedule.agenda.mockResolvedValue([occurrence()]) // 09:30 BST = 08:30Z, 10 minutes before
    const storage = memoryStorage()
    const options = { agent, storage, now, pollMs: 0, tickMs: 0 }
    const first = createRoot((dispose) => ({ store: createReminders(options), dispose }))
    await flush()
    expect(first.store.showing().map((r) => [r.occurrence.title, r.minutesLeft])).toEqual([['Standup', 5]])
    expect(agent.schedule.agenda).toHaveBeenCalledWith('2026-10-20T08:24:00+00:00', '2026-10-21T08:25:00+00:00')
    first.store.dismiss(first.store.showing()[0].key)
    expect(first.store.showing()).toEqual([])
    await first.store.poll()
    expect(first.store.showing()).toEqual([])
    first.dispose()
    const second = createRoot((dispose) => ({ store: createReminders(options), dispose }))
    await flush()
    expect(second.store.showing()).toEqual([])
    second.dispose()
  })
})

describe('MeetingReminders', () => {
  it('shows a dismissible banner with a link to the meeting\'s room', async () => {
    const agent = fakeApi()
    agent.schedule.agenda.mockResolvedValue([occurrence()])
    const options = { agent, storage: memoryStorage(), now: () => Date.parse('2026-10-20T08:21:00Z'), pollMs: 0, tickMs: 0 }
    withRouter(() => <MeetingReminders options={options} />)
    const banner = await screen.findByTestId('meeting-reminder')
    expect(banner.textContent).toContain('Standup starts in 9 minutes — Join')
    expect(screen.getByRole('link', { name: 'Join' }).getAttribute('href')).toBe('/w/w1/r/r1')
    fireEvent.click(screen.getByLabelText('Dismiss the reminder of Standup'))
    await waitFor(() => expect(screen.queryByTestId('meeting-reminder')).toBeNull())
  })
})
