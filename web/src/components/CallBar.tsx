// The call where it is not the page's subject. On the document page:
// `CallJoinButton` joins the workspace's default room's call from the
// toolbar, `CallBar` is a compact strip of whatever call this tab is in
// (microphone, camera, leave, a row of small tiles). `CallIndicator`: a line
// in the sidebar while in a call, linking to its room.

import { A } from '@solidjs/router'
import { Show } from 'solid-js'
import type { CallStore } from '../stores/call'
import { CallStatus, MediaToggles } from './CallPanel'
import { TileGrid } from './CallTiles'
import { CameraIcon, LeaveIcon } from './Icons'

/** Join the call of a room, from a toolbar (nothing while a call is on: `CallBar` shows it). */
export function CallJoinButton (props: { call: CallStore, roomId: string | null, roomName: string | null, disabled?: boolean }) {
  const call = props.call
  const ended = () => (call.state() === 'left' && call.roomId() === props.roomId ? call.endedReason() : null)
  return (
    <Show when={!call.active()}>
      <Show when={ended()}>
        <span class="muted small-text" role="status" data-testid="call-ended">{ended()}</span>
      </Show>
      <button type="button" class="secondary small call-button" data-testid="call-join"
        disabled={!props.roomId || props.disabled} onClick={() => { if (props.roomId) call.join(props.roomId) }}
        title={props.roomName ? `Join the call in #${props.roomName}` : 'Join the call'}>
        <CameraIcon /><span>Call</span>
      </button>
    </Show>
  )
}

/** The call this tab is in, compact: status, microphone, camera, leave, and a row of small tiles. */
export function CallBar (props: { call: CallStore, roomName: (roomId: string) => string | undefined }) {
  const call = props.call
  return (
    <Show when={call.active()}>
      <div class="call-bar" data-testid="call-bar" data-state={call.state()}
        aria-label={`Call in #${props.roomName(call.roomId() ?? '') ?? 'room'}`} role="region">
        <div class="call-bar-row">
          <CallStatus state={call.state()} />
          <span class="muted small-text" data-testid="call-size">
            #{props.roomName(call.roomId() ?? '') ?? 'room'} · {call.participants().length} in the call
          </span>
          <Show when={call.grants()?.publish}>
            <MediaToggles call={call} compact />
          </Show>
          <button type="button" class="danger small call-button" data-testid="call-leave" onClick={() => call.leave()}>
            <LeaveIcon /><span class="sr-only">Leave the call</span>
          </button>
          <Show when={call.notice()}>
            <span class="call-notice small-text" role="status">{call.notice()}</span>
          </Show>
        </div>
        <TileGrid call={call} compact />
      </div>
    </Show>
  )
}

export function CallIndicator (props: { call: CallStore, workspaceId: string, roomName: (roomId: string) => string | undefined }) {
  const call = props.call
  return (
    <Show when={call.active() && call.roomId()}>
      {(roomId) => (
        <div class="call-indicator" data-testid="call-indicator">
          <CameraIcon />
          <A href={`/w/${props.workspaceId}/r/${roomId()}`}>In a call in #{props.roomName(roomId()) ?? 'room'}</A>
          <button type="button" class="link small-text" onClick={() => call.leave()}>Leave</button>
        </div>
      )}
    </Show>
  )
}
