// /verify-email/:token — the link from the verification mail. Works signed in
// or not (the link is the proof); joining invited workspaces happens here.

import { A, useParams } from '@solidjs/router'
import { Match, Switch, createResource } from 'solid-js'
import { api, errorMessage } from '../api'
import { Loading } from '../components/Feedback'
import type { VerifyEmailResult } from '../types'

export function VerifyEmailPage () {
  const params = useParams()
  const [result] = createResource(() => params.token, (token) => api.auth.verifyEmail(token))
  return <VerifyEmailView loading={result.loading} result={result.error ? undefined : result()} error={result.error ? errorMessage(result.error) : null} />
}

export function VerifyEmailView (props: { loading: boolean, result: VerifyEmailResult | undefined, error: string | null }) {
  return (
    <section class="auth-card" aria-labelledby="verify-title" data-testid="verify-email">
      <h1 id="verify-title">Email verification</h1>
      <Switch>
        <Match when={props.loading}><Loading what="your link" /></Match>
        <Match when={props.error}>
          <p class="error" role="alert">{props.error}</p>
          <p><A href="/">Go to your workspaces</A></p>
        </Match>
        <Match when={props.result}>
          {(result) => (
            <>
              <p role="status">{result().email} is verified.</p>
              <p>{result().joined.length === 0
                ? 'No invitations were waiting for it.'
                : `You joined ${result().joined.length} workspace${result().joined.length === 1 ? '' : 's'} you were invited to.`}</p>
              <p><A href="/">Go to your workspaces</A></p>
            </>
          )}
        </Match>
      </Switch>
    </section>
  )
}
