// The frame of every page: skip link, top bar with the account, the page.

import { A, useNavigate, type RouteSectionProps } from '@solidjs/router'
import { Show, createSignal } from 'solid-js'
import { errorMessage } from '../api'
import { useAuth } from '../context'
import { ErrorText } from './Feedback'

export function Shell (props: RouteSectionProps) {
  const auth = useAuth()
  const navigate = useNavigate()
  const [error, setError] = createSignal<string | null>(null)
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
              <span class="muted account-name" title={user().email}>{user().name}</span>
              <button type="button" class="secondary" onClick={logout}>Sign out</button>
            </div>
          )}
        </Show>
      </header>
      <ErrorText message={error()} prefix="Signing out failed" />
      <main id="main" tabindex="-1">{props.children}</main>
    </div>
  )
}
