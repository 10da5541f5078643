// The frame of every page: skip link, top bar with the calendar and the
// account, meeting reminders while signed in, the page.

import { A, useNavigate, type RouteSectionProps } from '@solidjs/router'
import { Show, createEffect, createSignal, on } from 'solid-js'
import { errorMessage } from '../api'
import { useAuth } from '../context'
import { createVerification } from '../stores/verification'
import { EmailVerificationNotice } from './EmailVerificationNotice'
import { ErrorText } from './Feedback'
import { MeetingReminders } from './MeetingReminders'

export function Shell (props: RouteSectionProps) {
  const auth = useAuth()
  const navigate = useNavigate()
  const [error, setError] = createSignal<string | null>(null)
  const verification = createVerification()
  // Whether the email is verified is asked once per signed-in person (and again
  // when they come back to the page, having maybe followed the mailed link).
  const refreshVerification = () => {
    if (auth.status() === 'signed-in') verification.refresh().catch(() => { /* the notice stays hidden */ })
  }
  // The auth store sets the user and the status one after the other: look once both are set.
  createEffect(on(() => [auth.status(), auth.user()?.id], () => queueMicrotask(refreshVerification)))
  if (typeof document !== 'undefined') {
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') refreshVerification() })
  }
  const logout = async () => {
    setError(null)
    try {
      await auth.logout()
      navigate('/login', { replace: true })
    } catch (err) {
      setError(errorMessage(err))
    }
  }
  return (
    <div class="app">
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <A href="/" class="brand" end>Reynard</A>
        <Show when={auth.user()}>
          {(user) => (
            <div class="account">
              <nav aria-label="Main">
                <A href="/calendar" class="nav-link" data-testid="calendar-link">Calendar</A>
              </nav>
              <A href="/profile" class="muted account-name" title={`${user().email}: your profile`} data-testid="profile-link">{user().name}</A>
              <button type="button" class="secondary" onClick={logout}>Sign out</button>
            </div>
          )}
        </Show>
      </header>
      <Show when={auth.user() && verification.verified() === false}>
        <EmailVerificationNotice email={auth.user()?.email ?? ''} onResend={verification.resend} />
      </Show>
      <ErrorText message={error()} prefix="Signing out failed" />
      <Show when={auth.status() === 'signed-in' && auth.user()?.id} keyed>
        <MeetingReminders />
      </Show>
      <main id="main" tabindex="-1">{props.children}</main>
    </div>
  )
}
