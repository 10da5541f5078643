// The meeting editor (a panel beside the week): workspace, title,
// description, date and times in a chosen zone, recurrence, attendees,
// reminders; a slot finder that proposes times suiting everyone; for an
// existing recurring meeting, which occurrences a change applies to. The form's
// rules live in lib/meetingForm.ts.

import { For, Show, createMemo, createSignal } from 'solid-js'
import { api as defaultApi, errorMessage, type Api } from '../api'
import {
  changesSomething,
  durationMinutes,
  endsNextDay,
  formProblem,
  formStartInstant,
  meetingChange,
  meetingForm,
  newMeetingBody,
  newMeetingForm,
  slotRequest,
  withSlot,
  type MeetingForm,
  type OpenedOccurrence
} from '../lib/meetingForm'
import { WEEKDAY_CODES, WEEKDAY_NAMES, type Frequency, type RecurrenceEnd, type WeekdayCode } from '../lib/recurrence'
import { timeZones } from '../lib/workingHours'
import { formatRange, parseInstant } from '../lib/zonedTime'
import type { EditScope, MeetingConflict, MeetingView, Slot, Workspace } from '../types'
import { AttendeeInput } from './AttendeeInput'
import { ErrorText } from './Feedback'

export interface MeetingEditorProps {
  agent?: Api
  /** The signed-in user's zone: new meetings start in it, slots are shown in it. */
  userZone: string
  userEmail: string
  /** Workspaces the user may schedule in (owners and editors). */
  workspaces: Workspace[]
  /** Editing: the meeting, and the occurrence it was opened at. */
  meeting?: MeetingView
  occurrence?: OpenedOccurrence
  /** A new meeting's day (`YYYY-MM-DD`). */
  date?: string
  now?: () => number
  onSaved: (meeting: MeetingView) => void
  onClose: () => void
}

const FREQUENCIES: Array<[Frequency, string]> = [
  ['none', 'Does not repeat'],
  ['daily', 'Every day'],
  ['weekdays', 'Every weekday (Monday to Friday)'],
  ['weekly', 'Weekly on…'],
  ['monthly', 'Monthly']
]

const SCOPES: Array<[EditScope, string]> = [
  ['occurrence', 'This occurrence'],
  ['following', 'This and following'],
  ['all', 'All occurrences']
]

export function MeetingEditor (props: MeetingEditorProps) {
  const agent = props.agent ?? defaultApi
  const now = props.now ?? Date.now
  // The meeting being edited is fixed for the editor's life: the page opens a new editor for another one.
  const editing = props.meeting
  const recurring = !!editing?.rrule && !!props.occurrence
  const [scope, setScope] = createSignal<EditScope>(recurring ? 'occurrence' : 'all')
  const initial = () => (editing ? meetingForm(editing, scope(), props.occurrence) : newMeetingForm(props.userZone, now(), props.date))
  let shown = initial()
  const [form, setForm] = createSignal<MeetingForm>(shown)
  const [workspaceId, setWorkspaceId] = createSignal(editing?.workspace_id ?? props.workspaces[0]?.id ?? '')
  const [touched, setTouched] = createSignal(false)
  const [saving, setSaving] = createSignal(false)
  const [saveError, setSaveError] = createSignal<string | null>(null)

  const [slots, setSlots] = createSignal<Slot[] | null>(null)
  const [finding, setFinding] = createSignal(false)
  const [slotError, setSlotError] = createSignal<string | null>(null)
  const [skipped, setSkipped] = createSignal<string[]>([])
  const [picked, setPicked] = createSignal<number | null>(null)
  const members = new Map<string, Set<string>>()

  const update = (change: Partial<MeetingForm>) => {
    setForm((prev) => ({ ...prev, ...change }))
    setSaveError(null)
  }
  const setRecurrence = (change: Partial<MeetingForm['recurrence']>) =>
    update({ recurrence: { ...form().recurrence, ...change }, customRule: null })
  const chooseScope = (next: EditScope) => {
    setScope(next)
    shown = initial()
    setForm(shown)
    setPicked(null)
  }

  const problem = createMemo(() => formProblem(form()))
  const occurrenceOnly = () => scope() === 'occurrence'
  const zones = createMemo(() => timeZones(form().zone))
  const nextDay = () => endsNextDay(form())
  /** Where the meeting lands in the user's own zone, when the editor's zone is another one. */
  const inUserZone = () => {
    const f = form()
    if (f.zone === props.userZone) return null
    const start = formStartInstant(f)
    if (Number.isNaN(start)) return null
    return formatRange(start, start + durationMinutes(f) * 60_000, props.userZone)
  }

  const findSlots = async () => {
    setFinding(true)
    setSlotError(null)
    setPicked(null)
    try {
      const ws = workspaceId()
      let known = members.get(ws)
      if (!known && ws) {
        try {
          known = new Set((await agent.members.list(ws)).map((m) => m.email.toLowerCase()))
          members.set(ws, known)
        } catch {
          known = undefined // the server says who it does not know
        }
      }
      const others = form().attendees.filter((e) => e !== props.userEmail.toLowerCase())
      const asked = known ? others.filter((e) => known!.has(e)) : others
      setSkipped(others.filter((e) => !asked.includes(e)))
      setSlots(await agent.schedule.slots(slotRequest(form(), asked, props.userZone, now())))
    } catch (err) {
      setSlots(null)
      setSlotError(errorMessage(err))
    } finally {
      setFinding(false)
    }
  }

  const pickSlot = (index: number) => {
    const slot = slots()?.[index]
    if (!slot) return
    setPicked(index)
    update(withSlot(form(), slot.start, slot.end))
  }

  const save = async (e: Event) => {
    e.preventDefault()
    setTouched(true)
    if (problem()) return
    setSaving(true)
    setSaveError(null)
    try {
      let saved: MeetingView
      if (editing) {
        const change = meetingChange(form(), shown, scope(), props.occurrence?.recurrence_id)
        if (!changesSomething(change)) {
          props.onClose()
          return
        }
        saved = await agent.meetings.update(editing.id, change)
      } else {
        if (!workspaceId()) throw new Error('Choose a workspace.')
        saved = await agent.meetings.create(workspaceId(), newMeetingBody(form()))
      }
      props.onSaved(saved)
    } catch (err) {
      setSaveError(errorMessage(err))
    } finally {
      setSaving(false)
    }
  }

  return (
    <section class="side-panel meeting-editor" aria-labelledby="meeting-editor-title" data-testid="meeting-editor"
      onKeyDown={(e) => { if (e.key === 'Escape') props.onClose() }}>
      <div class="panel-head">
        <h2 id="meeting-editor-title">{editing ? 'Edit meeting' : 'New meeting'}</h2>
        <button type="button" class="icon" aria-label="Close the editor" onClick={() => props.onClose()}>×</button>
      </div>
      <form class="stack compact" onSubmit={save} novalidate>
        <Show when={editing && recurring}>
          <fieldset class="choice-row" data-testid="edit-scope">
            <legend>Change</legend>
            <For each={SCOPES}>
              {([value, label]) => (
                <label class="check">
                  <input type="radio" name="scope" value={value} checked={scope() === value} onChange={() => chooseScope(value)} />
                  <span>{label}</span>
                </label>
              )}
            </For>
          </fieldset>
        </Show>
        <Show when={!editing} fallback={<p class="muted small-text">In {props.workspaces.find((w) => w.id === editing?.workspace_id)?.name ?? 'its workspace'}</p>}>
          <label>
            <span>Workspace</span>
            <select data-testid="meeting-workspace" value={workspaceId()} onChange={(e) => setWorkspaceId(e.currentTarget.value)}>
              <For each={props.workspaces}>{(ws) => <option value={ws.id}>{ws.name}</option>}</For>
            </select>
          </label>
          <Show when={props.workspaces.length === 0}>
            <p class="field-problem">You need a workspace where you are an owner or an editor to schedule meetings.</p>
          </Show>
        </Show>
        <label>
          <span>Title</span>
          <input data-testid="meeting-title" maxlength="200" value={form().title} onInput={(e) => update({ title: e.currentTarget.value })} />
        </label>
        <label>
          <span>Description</span>
          <textarea data-testid="meeting-description" rows="3" value={form().description}
            onInput={(e) => update({ description: e.currentTarget.value })} />
        </label>
        <div class="field-row">
          <label>
            <span>Date</span>
            <input type="date" data-testid="meeting-date" value={form().date} onInput={(e) => update({ date: e.currentTarget.value })} />
          </label>
          <label>
            <span>Start</span>
            <input type="time" data-testid="meeting-start" value={form().start} onInput={(e) => update({ start: e.currentTarget.value })} />
          </label>
          <label>
            <span>End</span>
            <input type="time" data-testid="meeting-end" value={form().end} onInput={(e) => update({ end: e.currentTarget.value })} />
          </label>
        </div>
        <Show when={nextDay()}><p class="hint">Ends the next day.</p></Show>
        <label>
          <span>Time zone</span>
          <select data-testid="meeting-time-zone" value={form().zone} disabled={occurrenceOnly()}
            onChange={(e) => update({ zone: e.currentTarget.value })}>
            <For each={zones()}>{(z) => <option value={z}>{z}</option>}</For>
          </select>
        </label>
        <Show when={inUserZone()}>{(text) => <p class="hint">For you ({props.userZone}): {text()}</p>}</Show>

        <fieldset class="recurrence" disabled={occurrenceOnly()}>
          <legend>Repeats</legend>
          <Show when={form().customRule}>
            <p class="small-text muted">A custom rule ({form().customRule}) is kept unless you choose another.</p>
          </Show>
          <select data-testid="meeting-recurrence" aria-label="Repeats" value={form().customRule ? '' : form().recurrence.frequency}
            onChange={(e) => setRecurrence({ frequency: e.currentTarget.value as Frequency })}>
            <Show when={form().customRule}><option value="">Custom</option></Show>
            <For each={FREQUENCIES}>{([value, label]) => <option value={value}>{label}</option>}</For>
          </select>
          <Show when={form().recurrence.frequency === 'weekly' && !form().customRule}>
            <div class="weekday-picker" role="group" aria-label="On">
              <For each={WEEKDAY_CODES}>
                {(code) => (
                  <label class="check">
                    <input type="checkbox" data-testid={`weekday-${code}`} checked={form().recurrence.weekdays.includes(code)}
                      onChange={(e) => toggleDay(code, e.currentTarget.checked)} />
                    <span title={WEEKDAY_NAMES[code]}>{WEEKDAY_NAMES[code].slice(0, 3)}</span>
                  </label>
                )}
              </For>
            </div>
          </Show>
          <Show when={form().recurrence.frequency !== 'none' && !form().customRule}>
            <div class="field-row">
              <label>
                <span>Ends</span>
                <select data-testid="meeting-ends" value={form().recurrence.end.kind}
                  onChange={(e) => setRecurrence({ end: endOfKind(e.currentTarget.value as RecurrenceEnd['kind']) })}>
                  <option value="never">Never</option>
                  <option value="count">After a number of times</option>
                  <option value="until">On a date</option>
                </select>
              </label>
              <Show when={form().recurrence.end.kind === 'count'}>
                <label>
                  <span>Times</span>
                  <input type="number" min="1" max="1000" data-testid="meeting-count"
                    value={(form().recurrence.end as { count?: number }).count ?? 10}
                    onInput={(e) => setRecurrence({ end: { kind: 'count', count: Number(e.currentTarget.value) } })} />
                </label>
              </Show>
              <Show when={form().recurrence.end.kind === 'until'}>
                <label>
                  <span>Last day</span>
                  <input type="date" data-testid="meeting-until" value={(form().recurrence.end as { date?: string }).date ?? ''}
                    onInput={(e) => setRecurrence({ end: { kind: 'until', date: e.currentTarget.value } })} />
                </label>
              </Show>
            </div>
          </Show>
        </fieldset>

        <div class="field">
          <span class="field-label" id="meeting-attendees-label">Attendees</span>
          <AttendeeInput labelId="meeting-attendees-label" emails={form().attendees} disabled={occurrenceOnly()}
            onChange={(attendees) => update({ attendees })} />
        </div>
        <label>
          <span>Reminders (minutes before)</span>
          <input data-testid="meeting-reminders" inputmode="numeric" placeholder="10, 60" value={form().reminders}
            disabled={occurrenceOnly()} onInput={(e) => update({ reminders: e.currentTarget.value })} />
        </label>
        <Show when={occurrenceOnly()}>
          <p class="hint">One occurrence changes only its title, description and time; change all occurrences for the rest.</p>
        </Show>

        <section class="slot-finder" aria-labelledby="slot-finder-title">
          <div class="row-gap">
            <h3 id="slot-finder-title" class="sr-only">Find a time</h3>
            <button type="button" class="secondary" data-testid="find-slots" disabled={finding()} onClick={() => { void findSlots() }}>
              {finding() ? 'Finding times…' : 'Find a time'}
            </button>
            <span class="small-text muted">Suits you and the attendees for the 7 days from the chosen date.</span>
          </div>
          <Show when={skipped().length > 0}>
            <p class="small-text muted" data-testid="slot-skipped">
              Not considered (not members of this workspace): {skipped().join(', ')}
            </p>
          </Show>
          <ErrorText message={slotError()} prefix="No times" />
          <Show when={slots()}>
            {(list) => <SlotList slots={list()} zone={props.userZone} picked={picked()} onPick={pickSlot} />}
          </Show>
        </section>

        <ErrorText message={(touched() ? problem() : null) ?? saveError()} />
        <div class="row-gap">
          <button type="submit" data-testid="meeting-save" disabled={saving() || (touched() && !!problem())}>
            {saving() ? 'Saving…' : editing ? 'Save changes' : 'Schedule'}
          </button>
          <button type="button" class="secondary" onClick={() => props.onClose()}>Cancel</button>
        </div>
      </form>
    </section>
  )

  function toggleDay (code: WeekdayCode, on: boolean) {
    const days = form().recurrence.weekdays.filter((d) => d !== code)
    setRecurrence({ weekdays: on ? [...days, code] : days })
  }
}

function endOfKind (kind: RecurrenceEnd['kind']): RecurrenceEnd {
  switch (kind) {
    case 'never': return { kind: 'never' }
    case 'count': return { kind: 'count', count: 10 }
    case 'until': return { kind: 'until', date: '' }
  }
}

/** The slot finder's proposals, best first: each with its time in `zone` and why. */
export function SlotList (props: { slots: Slot[], zone: string, picked: number | null, onPick: (index: number) => void }) {
  return (
    <Show when={props.slots.length > 0} fallback={<p class="muted small-text" data-testid="no-slots">No time suits everyone in these 7 days.</p>}>
      <ol class="slot-list" data-testid="slot-list">
        <For each={props.slots}>
          {(slot, i) => (
            <li>
              <button type="button" class="slot-item" data-testid="slot-item" aria-pressed={props.picked === i()}
                data-start={slot.start} onClick={() => props.onPick(i())}>
                <span class="slot-time">{formatRange(parseInstant(slot.start), parseInstant(slot.end), props.zone)}</span>
                <For each={slot.reasons}>{(reason) => <span class="slot-reason">{reason}</span>}</For>
              </button>
            </li>
          )}
        </For>
      </ol>
    </Show>
  )
}

/** Where attendees are already busy, after saving. */
export function ConflictsWarning (props: { conflicts: MeetingConflict[], zone: string, onDismiss?: () => void }) {
  return (
    <Show when={props.conflicts.length > 0}>
      <div class="warning" role="alert" data-testid="meeting-conflicts">
        <p>Saved, but some people are already busy then:</p>
        <ul>
          <For each={props.conflicts}>
            {(c) => <li>{c.email}: {formatRange(parseInstant(c.start), parseInstant(c.end), props.zone)}</li>}
          </For>
        </ul>
        <Show when={props.onDismiss}>
          <button type="button" class="link" onClick={() => props.onDismiss?.()}>Dismiss</button>
        </Show>
      </div>
    </Show>
  )
}
