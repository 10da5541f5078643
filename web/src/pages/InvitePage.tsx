// /invite/:token — an invite link. Shown signed in only (App sends others to
// sign in or sign up first and back here); accepting joins the workspace and
// goes there.

import { A, useNavigate, useParams } from '@solidjs/router'
import { Show, onMount } from 'solid-js'
import { api } from '../api'
import { ErrorText, Loading } from '../components/Feedback'
import { createAction } from '../stores/action'

export function InvitePage () {
  const params = useParams()
  const navigate = useNavigate()
  const action = createAction(async (token: string) => {
    const workspace = await api.invitations.accept(token)
    navigate(`/w/${encodeURIComponent(workspace.id)}`, { replace: true })
  })
  onMount(() => { void action.run(params.token ?? '') })
  return (
    <section class="auth-card" aria-labelledby="invite-title" data-testid="invite">
      <h1 id="invite-title">Invitation</h1>
      <Show when={!action.error()} fallback={<><ErrorText message={action.error()} /><p><A href="/">Go to your workspaces</A></p></>}>
        <Loading what="the workspace you were invited to" />
      </Show>
    </section>
  )
}
