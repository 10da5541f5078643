// `/calendar` (`?week=YYYY-MM-DD` shows the week holding that day): the
// signed-in user's meetings as a week in their own time zone (GET /me), one
// column per day and one row per hour, with the meeting editor and a
// meeting's details in a panel beside it.

import { useSearchParams } from '@solidjs/router'
import { For, Match, Show, Switch, createMemo, createSignal, onMount } from 'solid-js'
import { api as defaultApi, browserTimeZone, type Api } from '../api'
import { ErrorText, Loading, Notice } from '../components/Feedback'
import { ConflictsWarning, MeetingEditor } from '../components/MeetingEditor'
import { MeetingDetails } from '../components/MeetingDetails'
import { useAuth } from '../context'
import { MINUTES_PER_DAY, layoutWeek, occurrenceClock, weekOf, type Week } from '../lib/calendar'
import { addDays, clockText, formatDate, fromLocal, isKnownZone, parseLocal, toLocal, todayIn } from '../lib/zonedTime'
import { createLoader } from '../stores/loader'
import type { AgendaOccurrence, MeetingConflict, MeetingView } from '../types'

type Panel =
  | { kind: 'none' }
  | { kind: 'new', date?: string }
  | { kind: 'details', occurrence: AgendaOccurrence }
  | { kind: 'edit', meeting: MeetingView, occurrence?: AgendaOccurrence }

export function CalendarPage (props: { agent?: Api, now?: () => number }) {
  const agent = props.agent ?? defaultApi
  const now = props.now ?? Date.now
  const auth = useAuth()
  const [params, setParams] = useSearchParams()
  const me = createLoader(() => true, () => agent.auth.me())
  const workspaces = createLoader(() => true, () => agent.workspaces.list())
  const zone = createMemo(() => {
    const z = me.data()?.time_zone ?? auth.user()?.time_zone ?? browserTimeZone() ?? 'UTC'
    return isKnownZone(z) ? z : 'UTC'
  })
  const ready = () => !!me.data() || !!me.error()
  const anchor = () => {
    const asked = typeof params.week === 'string' ? params.week : ''
    return parseLocal(asked) && asked.length === 10 ? asked : todayIn(zone(), now())
  }
  const week = createMemo(() => weekOf(anchor(), zone()))
  const range = createMemo(() => (ready() ? `${week().from} ${week().to}` : false))
  const agenda = createLoader(range, (key) => {
    const [from, to] = key.split(' ')
    return agent.schedule.agenda(from, to)
  })
  const [panel, setPanel] = createSignal<Panel>({ kind: 'none' })
  const [conflicts, setConflicts] = createSignal<MeetingConflict[]>([])
  const [notice, setNotice] = createSignal<string | null>(null)

  const goTo = (date: string | undefined) => setParams({ week: date }, { replace: true })
  const shift = (days: number) => goTo(addDays(week().days[0], days))

  const saved = (meeting: MeetingView) => {
    setPanel({ kind: 'none' })
    setConflicts(meeting.conflicts ?? [])
    setNotice(`“${meeting.title}” is saved.`)
    // Show the week it is in.
    const start = fromLocal(meeting.start, meeting.time_zone)
    const day = Number.isNaN(start) ? anchor() : toLocal(start, zone()).slice(0, 10)
    const key = range()
    goTo(day)
    if (range() === key) void agenda.reload()
  }

  const schedulable = () => (workspaces.data() ?? []).filter((ws) => ws.role !== 'viewer')
  const user = () => me.data() ?? auth.user()

  return (
    <div class="calendar-page">
      <Show when={ready()} fallback={<Loading what="your calendar" />}>
        <div class="calendar-main">
          <ErrorText message={me.error()} prefix="Could not load your time zone" />
          <ErrorText message={panel().kind === 'new' ? workspaces.error() : null} prefix="Could not load your workspaces" />
          <Show when={notice()}><Notice>{notice()}</Notice></Show>
          <ConflictsWarning conflicts={conflicts()} zone={zone()} onDismiss={() => setConflicts([])} />
          <WeekView
            week={week()}
            zone={zone()}
            today={todayIn(zone(), now())}
            occurrences={agenda.data() ?? []}
            loading={agenda.loading()}
            error={agenda.error()}
            selected={(() => { const p = panel(); return p.kind === 'details' ? p.occurrence : undefined })()}
            onPrevious={() => shift(-7)}
            onNext={() => shift(7)}
            onToday={() => goTo(undefined)}
            onRetry={() => { void agenda.reload() }}
            onOpen={(occurrence) => { setNotice(null); setPanel({ kind: 'details', occurrence }) }}
            onNew={() => { setNotice(null); setConflicts([]); setPanel({ kind: 'new', date: anchor() >= todayIn(zone(), now()) ? anchor() : undefined }) }}
          />
        </div>
        <Switch>
          <Match when={panel().kind === 'new' && panel() as Extract<Panel, { kind: 'new' }>} keyed>
            {(p) => (
              <Show when={!workspaces.loading() || workspaces.data()} fallback={<aside class="side-panel"><Loading what="your workspaces" /></aside>}>
                <MeetingEditor
                  agent={agent}
                  userZone={zone()}
                  userEmail={user()?.email ?? ''}
                  workspaces={schedulable()}
                  date={p.date}
                  now={now}
                  onSaved={saved}
                  onClose={() => setPanel({ kind: 'none' })}
                />
              </Show>
            )}
          </Match>
          <Match when={panel().kind === 'details' && panel() as Extract<Panel, { kind: 'details' }>} keyed>
            {(p) => (
              <MeetingDetails
                agent={agent}
                meetingId={p.occurrence.meeting_id}
                occurrence={p.occurrence}
                userId={user()?.id ?? ''}
                userEmail={user()?.email ?? ''}
                userZone={zone()}
                onChanged={() => { void agenda.reload() }}
                onEdit={(meeting) => setPanel({ kind: 'edit', meeting, occurrence: p.occurrence })}
                onClose={() => setPanel({ kind: 'none' })}
              />
            )}
          </Match>
          <Match when={panel().kind === 'edit' && panel() as Extract<Panel, { kind: 'edit' }>} keyed>
            {(p) => (
              <MeetingEditor
                agent={agent}
                userZone={zone()}
                userEmail={user()?.email ?? ''}
                workspaces={workspaces.data() ?? []}
                meeting={p.meeting}
                occurrence={p.occurrence}
                now={now}
                onSaved={saved}
                onClose={() => setPanel({ kind: 'none' })}
              />
            )}
          </Match>
        </Switch>
      </Show>
    </div>
  )
}

export interface WeekViewProps {
  week: Week
  zone: string
  /** Today in `zone` (`YYYY-MM-DD`). */
  today: string
  occurrences: AgendaOccurrence[]
  loading?: boolean
  error?: string | null
  selected?: AgendaOccurrence
  onPrevious: () => void
  onNext: () => void
  onToday: () => void
  onRetry?: () => void
  onOpen: (occurrence: AgendaOccurrence) => void
  onNew: () => void
}

const HOURS = Array.from({ length: 24 }, (_, h) => h)
/** Occurrences shorter than this show their title and time on one line. */
const SHORT_MINUTES = 45
/** Where the hours scroll to when the week is shown. */
const FIRST_HOUR_SHOWN = 8

/** The week: seven day columns of 24 hour rows, each occurrence placed by its local time in `zone`. */
export function WeekView (props: WeekViewProps) {
  const placed = createMemo(() => layoutWeek(props.occurrences, props.week.days, props.zone))
  let scroller: HTMLDivElement | undefined
  onMount(() => {
    if (scroller && scroller.scrollHeight > 0) scroller.scrollTop = (scroller.scrollHeight / 24) * FIRST_HOUR_SHOWN
  })
  const title = () => {
    const days = props.week.days
    return `${formatDate(days[0], undefined, { day: 'numeric', month: 'short' })} – ${formatDate(days[6], undefined, { day: 'numeric', month: 'short', year: 'numeric' })}`
  }
  const isSelected = (o: AgendaOccurrence) =>
    props.selected?.meeting_id === o.meeting_id && props.selected?.recurrence_id === o.recurrence_id
  return (
    <section class="calendar" data-testid="calendar-week" data-from={props.week.from} data-to={props.week.to} aria-labelledby="calendar-title">
      <div class="calendar-toolbar">
        <h1 id="calendar-title">{title()}</h1>
        <div class="row-gap">
          <button type="button" class="secondary" aria-label="Previous week" data-testid="previous-week" onClick={() => props.onPrevious()}>‹</button>
          <button type="button" class="secondary" data-testid="this-week" onClick={() => props.onToday()}>Today</button>
          <button type="button" class="secondary" aria-label="Next week" data-testid="next-week" onClick={() => props.onNext()}>›</button>
        </div>
        <span class="muted small-text" data-testid="calendar-zone">Times in {props.zone}</span>
        <Show when={props.loading}><span class="muted small-text" role="status">Loading…</span></Show>
        <button type="button" class="calendar-new" data-testid="new-meeting" onClick={() => props.onNew()}>New meeting</button>
      </div>
      <Show when={props.error}>
        <ErrorText message={props.error} prefix="Could not load your meetings" />
        <Show when={props.onRetry}><button type="button" class="secondary small" onClick={() => props.onRetry?.()}>Try again</button></Show>
      </Show>
      <div class="week-head" aria-hidden="true">
        <span />
        <For each={props.week.days}>
          {(day) => (
            <span class="week-day-name" classList={{ today: day === props.today }}>
              {formatDate(day, undefined, { weekday: 'short' })} <span class="week-day-number">{Number(day.slice(8, 10))}</span>
            </span>
          )}
        </For>
      </div>
      <div class="week-scroll" ref={scroller}>
        <div class="week-grid">
          <div class="week-hours" aria-hidden="true">
            <For each={HOURS}>{(h) => <span class="week-hour">{clockText(h * 60)}</span>}</For>
          </div>
          <For each={props.week.days}>
            {(day, d) => (
              <div class="week-day" classList={{ today: day === props.today }} data-date={day} role="group"
                aria-label={formatDate(day, undefined, { weekday: 'long', day: 'numeric', month: 'long' })}>
                <For each={placed().filter((p) => p.day === d())}>
                  {(p) => (
                    <button
                      type="button"
                      class={`meeting-item answer-${p.occurrence.response ?? 'organizer'}`}
                      title={`${p.occurrence.title}, ${occurrenceClock(p.occurrence, props.zone)}`}
                      classList={{
                        selected: isSelected(p.occurrence),
                        continues: p.continuesBefore || p.continuesAfter,
                        short: p.bottom - p.top < SHORT_MINUTES
                      }}
                      data-testid="meeting-item"
                      data-meeting-id={p.occurrence.meeting_id}
                      data-recurrence-id={p.occurrence.recurrence_id}
                      data-day={day}
                      data-top={p.top}
                      data-bottom={p.bottom}
                      style={{
                        top: `${(p.top / MINUTES_PER_DAY) * 100}%`,
                        height: `${((p.bottom - p.top) / MINUTES_PER_DAY) * 100}%`,
                        left: `${(p.column / p.columns) * 100}%`,
                        width: `${100 / p.columns}%`
                      }}
                      onClick={() => props.onOpen(p.occurrence)}
                    >
                      <span class="meeting-item-title">{p.occurrence.title}</span>
                      <span class="meeting-item-time">{occurrenceClock(p.occurrence, props.zone)}</span>
                    </button>
                  )}
                </For>
              </div>
            )}
          </For>
        </div>
      </div>
      <Show when={!props.loading && !props.error && props.occurrences.length === 0}>
        <p class="muted small-text calendar-empty">No meetings this week.</p>
      </Show>
    </section>
  )
}
