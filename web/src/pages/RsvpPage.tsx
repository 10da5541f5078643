// `/rsvp/:token` — the answer link of an invitation mail, open without
// signing in (the signed link is the credential): the meeting, when it is in
// its zone and in this browser's, and Accept / Tentative / Decline.

import { useParams } from '@solidjs/router'
import { Show, createSignal } from 'solid-js'
import { api as defaultApi, browserTimeZone, errorMessage, type Api } from '../api'
import { ErrorText, Loading } from '../components/Feedback'
import { RESPONSE_WORDS, RsvpButtons } from '../components/MeetingDetails'
import { describeRrule } from '../lib/recurrence'
import { formatRange, fromLocal, isKnownZone } from '../lib/zonedTime'
import { createLoader } from '../stores/loader'
import type { RsvpAnswer } from '../types'

export function RsvpPage (props: { agent?: Api }) {
  const agent = props.agent ?? defaultApi
  const params = useParams()
  const invitation = createLoader(() => params.token, (token) => agent.rsvp.get(token))
  const [pending, setPending] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [answered, setAnswered] = createSignal(false)

  const answer = async (response: RsvpAnswer) => {
    setPending(true)
    setError(null)
    try {
      const updated = await agent.rsvp.answer(params.token ?? '', response)
      invitation.mutate(() => updated)
      setAnswered(true)
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setPending(false)
    }
  }

  const here = browserTimeZone()
  return (
    <section class="auth-card rsvp-card" aria-labelledby="rsvp-title" data-testid="rsvp-page">
      <Show when={invitation.loading() && !invitation.data()}><Loading what="the invitation" /></Show>
      <Show when={invitation.error()}>
        <h1 id="rsvp-title">Invitation</h1>
        <ErrorText message={invitation.error()} prefix="This link does not work" />
      </Show>
      <Show when={invitation.data()}>
        {(inv) => {
          const zoneOk = () => isKnownZone(inv().time_zone)
          const start = () => (zoneOk() ? fromLocal(inv().start, inv().time_zone) : NaN)
          const end = () => (zoneOk() ? fromLocal(inv().end, inv().time_zone) : NaN)
          return (
            <>
              <h1 id="rsvp-title">{inv().title}</h1>
              <dl class="facts">
                <dt>When</dt>
                <dd data-testid="rsvp-when">
                  <Show when={!Number.isNaN(start())} fallback={`${inv().start} – ${inv().end}`}>
                    {formatRange(start(), end(), inv().time_zone)}
                  </Show>{' '}({inv().time_zone})
                  <Show when={here && here !== inv().time_zone && !Number.isNaN(start())}>
                    <br /><span class="muted">{formatRange(start(), end(), here!)} where you are ({here})</span>
                  </Show>
                </dd>
                <Show when={inv().rrule}>
                  <dt>Repeats</dt>
                  <dd>{describeRrule(inv().rrule)}</dd>
                </Show>
                <dt>Organizer</dt>
                <dd>{inv().organizer.name} <span class="muted">&lt;{inv().organizer.email}&gt;</span></dd>
                <dt>Invited</dt>
                <dd>{inv().email}</dd>
              </dl>
              <Show when={!inv().cancelled} fallback={<p class="warning" role="status">This meeting was cancelled.</p>}>
                <p data-testid="rsvp-response" data-response={inv().response} role="status">
                  {answered() ? 'Thanks! ' : ''}Your answer: <strong>{RESPONSE_WORDS[inv().response] ?? inv().response}</strong>
                </p>
                <RsvpButtons response={inv().response} pending={pending()} onAnswer={(r) => { void answer(r) }} />
              </Show>
              <ErrorText message={error()} />
            </>
          )
        }}
      </Show>
    </section>
  )
}
