// "Your email is not verified — resend": shown under the top bar to a
// signed-in person until their email is verified.

import { Show, createSignal } from 'solid-js'
import { createAction } from '../stores/action'
import { ErrorText } from './Feedback'

export function EmailVerificationNotice (props: { email: string, onResend: () => Promise<void> }) {
  const [sent, setSent] = createSignal(false)
  const action = createAction(async () => {
    setSent(false)
    await props.onResend()
    setSent(true)
  })
  return (
    <div class="verify-notice" role="status" data-testid="verify-notice">
      <span>
        Your email {props.email} is not verified yet: invitations sent to it wait until you open the link we mailed you.
      </span>
      <button type="button" class="secondary small" disabled={action.pending()} onClick={() => { void action.run() }}>
        {action.pending() ? 'Sending…' : 'Resend the link'}
      </button>
      <Show when={sent()}><span class="muted">Sent: check your mail.</span></Show>
      <ErrorText message={action.error()} onDismiss={action.clearError} />
    </div>
  )
}
