// The profile's calendar feed: the secret address Google Calendar, Outlook and
// other calendar apps subscribe to (copyable), and a new address when the old
// one was shared by mistake (the old one stops working).

import { Show, createSignal } from 'solid-js'
import { api as defaultApi, errorMessage, type Api } from '../api'
import { createLoader } from '../stores/loader'
import { ErrorText, Loading } from './Feedback'

export function CalendarFeedSection (props: { agent?: Api }) {
  const agent = props.agent ?? defaultApi
  const feed = createLoader(() => true, () => agent.schedule.calendarFeed())
  const [status, setStatus] = createSignal<string | null>(null)
  const [confirming, setConfirming] = createSignal(false)
  const [rotating, setRotating] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  let input: HTMLInputElement | undefined

  const copy = async () => {
    input?.select()
    try {
      await navigator.clipboard.writeText(feed.data()?.url ?? '')
      setStatus('Copied.')
    } catch {
      // No clipboard access (permissions, an insecure origin): the address is selected.
      setStatus('Press Ctrl+C (⌘C) to copy the selected address.')
    }
  }

  const rotate = async () => {
    setRotating(true)
    setError(null)
    try {
      const fresh = await agent.schedule.rotateCalendarFeed()
      feed.mutate(() => fresh)
      setConfirming(false)
      setStatus('New address made: the old one no longer works. Subscribe again with this one.')
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setRotating(false)
    }
  }

  return (
    <section class="panel" aria-labelledby="calendar-feed-title" data-testid="calendar-feed">
      <h2 id="calendar-feed-title">Subscribe in Google Calendar / Outlook</h2>
      <p class="small-text muted">
        Add this address to your calendar app (“From URL” in Google Calendar, “Subscribe from web” in Outlook) to see your
        meetings there. Anyone with the address can read your meetings: keep it to yourself.
      </p>
      <Show when={feed.loading() && !feed.data()}><Loading what="your feed address" /></Show>
      <ErrorText message={feed.error()} prefix="Could not load your feed address" />
      <Show when={feed.data()}>
        {(f) => (
          <>
            <span class="invite-link">
              <input ref={input} readonly value={f().url} aria-label="Calendar feed address" data-testid="calendar-feed-url"
                onFocus={(e) => e.currentTarget.select()} />
              <button type="button" class="secondary small" data-testid="copy-calendar-feed" onClick={() => { void copy() }}>Copy</button>
            </span>
            <div class="row-gap feed-actions">
              <Show when={confirming()} fallback={
                <button type="button" class="secondary small" data-testid="rotate-calendar-feed" onClick={() => { setStatus(null); setConfirming(true) }}>
                  Rotate secret
                </button>
              }>
                <span class="small-text">The current address stops working for every app subscribed to it.</span>
                <button type="button" class="danger small" data-testid="rotate-calendar-feed-confirm" disabled={rotating()}
                  onClick={() => { void rotate() }}>Make a new address</button>
                <button type="button" class="secondary small" onClick={() => setConfirming(false)}>Keep it</button>
              </Show>
            </div>
          </>
        )}
      </Show>
      <Show when={status()}><p class="muted small-text" role="status">{status()}</p></Show>
      <ErrorText message={error()} />
    </section>
  )
}
