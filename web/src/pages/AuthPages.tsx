// Sign-in and sign-up: containers (talk to the auth store, navigate) and views (forms).

import { A, Navigate, useNavigate, useSearchParams } from '@solidjs/router'
import { Show, onMount } from 'solid-js'
import { ErrorText } from '../components/Feedback'
import { useAuth } from '../context'
import { createAction } from '../stores/action'

/** Where to go after signing in: the `next` parameter when it is a local path. */
function useNext (): () => string {
  const [params] = useSearchParams()
  return () => {
    const next = typeof params.next === 'string' ? params.next : ''
    return next.startsWith('/') && !next.startsWith('//') ? next : '/'
  }
}

export function LoginPage () {
  const auth = useAuth()
  const navigate = useNavigate()
  const next = useNext()
  const action = createAction(async (email: string, password: string) => {
    await auth.login(email, password)
    navigate(next(), { replace: true })
  })
  return (
    <Show when={auth.status() !== 'signed-in' || action.pending()} fallback={<Navigate href={next()} />}>
      <LoginView
        onSubmit={(email, password) => { void action.run(email, password) }}
        pending={action.pending()}
        error={action.error() ?? auth.checkError()}
        next={next()}
      />
    </Show>
  )
}

export function LoginView (props: {
  onSubmit: (email: string, password: string) => void
  pending: boolean
  error: string | null
  next: string
}) {
  let emailInput!: HTMLInputElement
  onMount(() => emailInput.focus())
  const signupHref = () => (props.next === '/' ? '/signup' : `/signup?next=${encodeURIComponent(props.next)}`)
  return (
    <section class="auth-card" aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault()
          const data = new FormData(e.currentTarget)
          props.onSubmit(String(data.get('email') ?? ''), String(data.get('password') ?? ''))
        }}
      >
        <label>Email
          <input ref={emailInput} name="email" type="email" autocomplete="username" required />
        </label>
        <label>Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <ErrorText message={props.error} />
        <button type="submit" disabled={props.pending}>{props.pending ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p>No account yet? <A href={signupHref()}>Create one</A></p>
    </section>
  )
}

export function SignupPage () {
  const auth = useAuth()
  const navigate = useNavigate()
  const next = useNext()
  const action = createAction(async (name: string, email: string, password: string) => {
    await auth.signup(email, password, name)
    navigate(next(), { replace: true })
  })
  return (
    <Show when={auth.status() !== 'signed-in' || action.pending()} fallback={<Navigate href={next()} />}>
      <SignupView
        onSubmit={(name, email, password) => { void action.run(name, email, password) }}
        pending={action.pending()}
        error={action.error()}
        next={next()}
      />
    </Show>
  )
}

export function SignupView (props: {
  onSubmit: (name: string, email: string, password: string) => void
  pending: boolean
  error: string | null
  next: string
}) {
  let nameInput!: HTMLInputElement
  onMount(() => nameInput.focus())
  const loginHref = () => (props.next === '/' ? '/login' : `/login?next=${encodeURIComponent(props.next)}`)
  return (
    <section class="auth-card" aria-labelledby="signup-title">
      <h1 id="signup-title">Create an account</h1>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault()
          const data = new FormData(e.currentTarget)
          props.onSubmit(String(data.get('name') ?? ''), String(data.get('email') ?? ''), String(data.get('password') ?? ''))
        }}
      >
        <label>Name
          <input ref={nameInput} name="name" autocomplete="name" required />
        </label>
        <label>Email
          <input name="email" type="email" autocomplete="email" required />
        </label>
        <label>Password
          <input name="password" type="password" autocomplete="new-password" required minlength="8" aria-describedby="password-hint" />
        </label>
        <p id="password-hint" class="hint">At least 8 characters.</p>
        <ErrorText message={props.error} />
        <button type="submit" disabled={props.pending}>{props.pending ? 'Creating…' : 'Create account'}</button>
      </form>
      <p>Already have an account? <A href={loginHref()}>Sign in</A></p>
    </section>
  )
}
