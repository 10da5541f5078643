// Small pieces that tell a person what is going on: loading, errors, notices.

import { Show, type JSX } from 'solid-js'

export function Loading (props: { what?: string }) {
  return <p class="muted" role="status">Loading{props.what ? ` ${props.what}` : ''}…</p>
}

/** An error in words, announced to screen readers. Renders nothing without a message. */
export function ErrorText (props: { message: string | null | undefined, prefix?: string, onDismiss?: () => void }) {
  return (
    <Show when={props.message}>
      <div class="error" role="alert">
        <span>{props.prefix ? `${props.prefix}: ` : ''}{props.message}</span>
        <Show when={props.onDismiss}>
          <button type="button" class="link" onClick={() => props.onDismiss?.()}>Dismiss</button>
        </Show>
      </div>
    </Show>
  )
}

/** A polite status line (results of actions). */
export function Notice (props: { children: JSX.Element }) {
  return <p class="notice" role="status">{props.children}</p>
}
