// The document connection as words and a coloured dot: connected,
// (re)connecting, offline, closed — and how many local edits wait for the
// server.

import type { ConnectionState } from '../stores/collab'

export function connectionText (state: ConnectionState, pending: number, reason?: string | null): string {
  const edits = pending > 0 ? ` — ${pending} offline edit${pending === 1 ? '' : 's'} pending` : ''
  switch (state) {
    case 'connected': return 'Connected'
    case 'connecting': return 'Connecting…' + edits
    case 'reconnecting': return 'Reconnecting…' + edits
    case 'offline': return 'Offline' + edits
    case 'closed': return `Disconnected${reason ? `: ${reason}` : ''}${edits}`
  }
}

export function ConnectionStatus (props: { state: ConnectionState, pending: number, reason?: string | null }) {
  return (
    <div
      class={`connection connection-${props.state}`}
      classList={{ 'has-pending': props.pending > 0 }}
      data-testid="connection-status"
      data-state={props.state}
      data-pending={props.pending}
      role="status"
      aria-live="polite"
    >
      <span class="dot" aria-hidden="true" />
      <span>{connectionText(props.state, props.pending, props.reason)}</span>
    </div>
  )
}
