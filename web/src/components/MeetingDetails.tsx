// A meeting opened from the week (a panel beside it): when (in your zone and
// the meeting's), how it repeats, who organizes and who is invited with their
// answers, the call to join; invitees answer, the organizer edits or cancels
// this occurrence or the whole meeting.

import { A } from '@solidjs/router'
import { For, Match, Show, Switch, createSignal } from 'solid-js'
import { api as defaultApi, errorMessage, type Api } from '../api'
import { describeRrule } from '../lib/recurrence'
import { formatRange, fromLocal, parseInstant } from '../lib/zonedTime'
import { createLoader } from '../stores/loader'
import type { AgendaOccurrence, MeetingResponse, MeetingView, RsvpAnswer } from '../types'
import { ErrorText, Loading } from './Feedback'
import { roomPath } from './MeetingReminders'

export const RESPONSE_WORDS: Record<MeetingResponse, string> = {
  needs_action: 'Not answered yet',
  accepted: 'Accepted',
  tentative: 'Maybe',
  declined: 'Declined'
}

/** Accept / Maybe / Decline, the current answer pressed. */
export function RsvpButtons (props: { response: MeetingResponse | null | undefined, pending?: boolean, onAnswer: (answer: RsvpAnswer) => void }) {
  const button = (answer: RsvpAnswer, label: string, testId: string) => (
    <button type="button" class={props.response === answer ? '' : 'secondary'} data-testid={testId}
      aria-pressed={props.response === answer} disabled={props.pending} onClick={() => props.onAnswer(answer)}>
      {label}
    </button>
  )
  return (
    <div class="row-gap rsvp-buttons" role="group" aria-label="Your answer">
      {button('accepted', 'Accept', 'rsvp-accept')}
      {button('tentative', 'Tentative', 'rsvp-tentative')}
      {button('declined', 'Decline', 'rsvp-decline')}
    </div>
  )
}

/** When a meeting (or its opened occurrence) is, as instants. */
function instantsOf (meeting: MeetingView, occurrence?: AgendaOccurrence): [number, number] {
  if (occurrence) return [parseInstant(occurrence.start), parseInstant(occurrence.end)]
  return [fromLocal(meeting.start, meeting.time_zone), fromLocal(meeting.end, meeting.time_zone)]
}

export interface MeetingDetailsProps {
  agent?: Api
  meetingId: string
  /** The occurrence it was opened at (from the agenda). */
  occurrence?: AgendaOccurrence
  userId: string
  userEmail: string
  userZone: string
  /** The agenda should be asked for again (an answer, a cancellation). */
  onChanged: () => void
  onEdit: (meeting: MeetingView) => void
  onClose: () => void
}

export function MeetingDetails (props: MeetingDetailsProps) {
  const agent = props.agent ?? defaultApi
  const meeting = createLoader(() => props.meetingId, (id) => agent.meetings.get(id))
  const [pending, setPending] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [confirming, setConfirming] = createSignal<'occurrence' | 'meeting' | null>(null)

  const run = async (work: () => Promise<void>) => {
    setPending(true)
    setError(null)
    try {
      await work()
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setPending(false)
    }
  }

  const answer = (response: RsvpAnswer) => run(async () => {
    const updated = await agent.meetings.rsvp(props.meetingId, response)
    meeting.mutate(() => updated)
    props.onChanged()
  })

  const cancel = (what: 'occurrence' | 'meeting') => run(async () => {
    await agent.meetings.cancel(props.meetingId, what === 'occurrence' ? props.occurrence?.recurrence_id : undefined)
    setConfirming(null)
    props.onChanged()
    props.onClose()
  })

  const myself = (m: MeetingView) => m.attendees.find((a) => a.email.toLowerCase() === props.userEmail.toLowerCase())

  return (
    <section class="side-panel meeting-details" aria-labelledby="meeting-details-title" data-testid="meeting-details"
      onKeyDown={(e) => { if (e.key === 'Escape') props.onClose() }}>
      <div class="panel-head">
        <h2 id="meeting-details-title">{meeting.data()?.title ?? props.occurrence?.title ?? 'Meeting'}</h2>
        <button type="button" class="icon" aria-label="Close the meeting" onClick={() => props.onClose()}>×</button>
      </div>
      <Show when={meeting.loading() && !meeting.data()}><Loading what="the meeting" /></Show>
      <ErrorText message={meeting.error()} prefix="Could not load the meeting" />
      <Show when={meeting.data()}>
        {(m) => {
          const organizes = () => m().organizer_id === props.userId
          const me = () => myself(m())
          const when = () => instantsOf(m(), props.occurrence)
          return (
            <div class="stack compact">
              <Show when={m().cancelled}><p class="warning" role="status">This meeting was cancelled.</p></Show>
              <dl class="facts">
                <dt>When</dt>
                <dd data-testid="meeting-when">{formatRange(when()[0], when()[1], props.userZone)}</dd>
                <dt>Time zone</dt>
                <dd data-testid="meeting-zone">
                  {m().time_zone}
                  <Show when={m().time_zone !== props.userZone}>
                    {' '}<span class="muted">({formatRange(when()[0], when()[1], m().time_zone)} there; shown above in {props.userZone})</span>
                  </Show>
                </dd>
                <dt>Repeats</dt>
                <dd data-testid="meeting-recurrence-text">{describeRrule(m().rrule)}</dd>
                <dt>Organizer</dt>
                <dd>{m().organizer.name} <span class="muted">&lt;{m().organizer.email}&gt;</span>{organizes() ? ' (you)' : ''}</dd>
                <Show when={m().reminders_minutes.length > 0}>
                  <dt>Reminders</dt>
                  <dd>{m().reminders_minutes.map((n) => `${n} min`).join(', ')} before</dd>
                </Show>
              </dl>
              <Show when={m().description.trim()}>
                <p class="meeting-description">{m().description}</p>
              </Show>
              <Show when={!m().cancelled}>
                <p><A href={roomPath(m().workspace_id, m().room_id)} class="button" data-testid="join-call">Join call</A></p>
              </Show>

              <h3>Attendees</h3>
              <Show when={m().attendees.length > 0} fallback={<p class="muted small-text">Nobody else is invited.</p>}>
                <ul class="attendee-list">
                  <For each={m().attendees}>
                    {(a) => (
                      <li data-testid="meeting-attendee" data-email={a.email} data-response={a.response}>
                        <span>{a.email}{me()?.email === a.email ? ' (you)' : ''}</span>
                        <span class={`response response-${a.response}`}>{RESPONSE_WORDS[a.response] ?? a.response}</span>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>

              <Show when={me() && !organizes() && !m().cancelled}>
                <h3>Going?</h3>
                <RsvpButtons response={me()?.response} pending={pending()} onAnswer={(r) => { void answer(r) }} />
              </Show>

              <Show when={organizes() && !m().cancelled}>
                <div class="row-gap organizer-actions">
                  <button type="button" class="secondary" data-testid="edit-meeting" onClick={() => props.onEdit(m())}>Edit</button>
                  <Show when={m().rrule && props.occurrence}>
                    <button type="button" class="secondary" data-testid="cancel-occurrence" disabled={pending()}
                      onClick={() => setConfirming('occurrence')}>Cancel this occurrence</button>
                  </Show>
                  <button type="button" class="secondary" data-testid="cancel-meeting" disabled={pending()}
                    onClick={() => setConfirming('meeting')}>{m().rrule ? 'Cancel all occurrences' : 'Cancel meeting'}</button>
                </div>
                <Show when={confirming()}>
                  {(what) => (
                    <div class="confirm-box" role="alertdialog" aria-label="Confirm the cancellation">
                      <Switch>
                        <Match when={what() === 'occurrence'}><span>Cancel this occurrence? Attendees are told.</span></Match>
                        <Match when={what() === 'meeting'}><span>Cancel the whole meeting? Attendees are told.</span></Match>
                      </Switch>
                      <div class="row-gap">
                        <button type="button" class="danger" data-testid="confirm-cancel" disabled={pending()}
                          onClick={() => { void cancel(what()) }}>Yes, cancel</button>
                        <button type="button" class="secondary" onClick={() => setConfirming(null)}>Keep it</button>
                      </div>
                    </div>
                  )}
                </Show>
              </Show>
            </div>
          )
        }}
      </Show>
      <ErrorText message={error()} onDismiss={() => setError(null)} />
    </section>
  )
}
