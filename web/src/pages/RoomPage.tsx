// `/w/:workspaceId/r/:roomId`: one room — its call above its chat in
// `.room-body` (`?relay=1` forces the call through TURN), who is here and who
// is in the call in the header. `RoomChat` is the chat of any room wired to
// the workspace's stores (also the default room's panel on the document
// page).

import { A, useParams, useSearchParams } from '@solidjs/router'
import { For, Show, createEffect, on, onCleanup, type JSX } from 'solid-js'
import { api } from '../api'
import { CallPanel } from '../components/CallPanel'
import { ChatPanel } from '../components/ChatPanel'
import { ErrorText, Loading } from '../components/Feedback'
import { CameraIcon } from '../components/Icons'
import { useAuth } from '../context'
import { colorFor, initials } from '../lib/colors'
import { createLoader } from '../stores/loader'
import type { Room } from '../types'
import { useWorkspace } from './WorkspaceLayout'

/** The chat of `roomId`: loads it, counts it as read while shown, and sends, edits, deletes. */
export function RoomChat (props: { roomId: string, room?: Room }) {
  const { workspace, chat, live } = useWorkspace()
  const auth = useAuth()

  createEffect(on(() => props.roomId, (roomId) => {
    void chat.open(roomId)
    const stopViewing = chat.view(roomId)
    onCleanup(() => {
      stopViewing()
      chat.input(roomId, '')
    })
  }))

  const members = () => (workspace.members.data() ?? []).map((m) => ({ id: m.user_id, name: m.name, email: m.email }))
  const selfId = () => auth.user()?.id ?? live.selfId() ?? undefined
  const connectionNotice = (): JSX.Element => (
    <Show when={live.state() !== 'connected' && live.state() !== 'closed'}>
      <p class="chat-notice muted small-text" role="status" data-testid="live-status" data-state={live.state()}>
        {live.state() === 'offline' ? 'Offline: new messages appear when the connection is back.' : 'Connecting… new messages may be late.'}
      </p>
    </Show>
  )

  return (
    <ChatPanel
      room={chat.room(props.roomId) ?? props.room}
      history={chat.history(props.roomId)}
      selfId={selfId()}
      isOwner={workspace.isOwner()}
      members={members()}
      typing={chat.typing(props.roomId)}
      onLoadOlder={() => { void chat.loadOlder(props.roomId) }}
      onRetry={() => { void chat.open(props.roomId) }}
      onSend={(text) => chat.send(props.roomId, text)}
      onEdit={(messageId, text) => chat.edit(messageId, text)}
      onDelete={(message) => chat.remove(message)}
      onInput={(text) => chat.input(props.roomId, text)}
      notice={connectionNotice()}
    />
  )
}

export function RoomPage () {
  const params = useParams<{ workspaceId: string, roomId: string }>()
  const [search] = useSearchParams()
  const { chat, live, call } = useWorkspace()
  const roomId = () => params.roomId
  // The list has it unless it is archived, new, or the list is still loading.
  const fetched = createLoader(() => (chat.room(roomId()) ? false : roomId()), (id) => api.rooms.get(id))
  const room = () => chat.room(roomId()) ?? (fetched.data()?.id === roomId() ? fetched.data() : undefined)
  const here = () => live.usersAt({ kind: 'room', id: roomId() })
  const inThisCall = () => call.active() && call.roomId() === roomId()
  // Who is in this room's call: first-hand when this tab is in it, else as the live socket tells.
  const roster = () => inThisCall() ? call.participants().map((p) => ({ user_id: p.user_id, name: p.name })) : (live.calls()[roomId()] ?? [])
  const callUsers = () => new Set(roster().map((p) => p.user_id))

  return (
    <Show when={room() || !fetched.error()} fallback={
      <div class="page narrow">
        <h1>Room unavailable</h1>
        <ErrorText message={fetched.error()} />
        <p><A href={`/w/${params.workspaceId}`}>Back to the workspace</A></p>
      </div>
    }>
      <div class="room-page" data-testid="room-page">
        <div class="doc-toolbar room-toolbar">
          <div class="doc-title">
            <h1 class="room-title" data-testid="room-title">#{room()?.name ?? '…'}</h1>
            <Show when={room()?.archived}><span class="badge readonly">Archived</span></Show>
            <Show when={room()?.is_default}><span class="badge">Default</span></Show>
          </div>
          <Show when={roster().length > 0}>
            <span class="badge call-count" data-testid="call-count" title={`In the call: ${roster().map((p) => p.name).join(', ')}`}>
              <CameraIcon /> {roster().length} in the call
            </span>
          </Show>
          <ul class="presence-list" aria-label="Here now" data-testid="room-presence">
            <For each={here()}>
              {(user) => (
                <li class="presence-user" classList={{ 'in-call': callUsers().has(user.user_id) }}
                  title={callUsers().has(user.user_id) ? `${user.name} (in the call)` : user.name}>
                  <span class="avatar" style={{ 'background-color': colorFor(user.user_id) }} aria-hidden="true">{initials(user.name)}</span>
                  <span class="presence-name">{user.name}</span>
                  <Show when={callUsers().has(user.user_id)}><span class="sr-only"> (in the call)</span></Show>
                </li>
              )}
            </For>
          </ul>
        </div>
        <div class="room-body" classList={{ 'in-call': inThisCall() }}>
          <Show when={room()}>
            {(r) => (
              <CallPanel call={call} roomId={r().id} roomName={r().name} relay={search.relay === '1'} disabled={r().archived} />
            )}
          </Show>
          <Show when={room()} fallback={<Loading what="the room" />}>
            <Show when={roomId()} keyed>
              {(id) => <RoomChat roomId={id} room={room()} />}
            </Show>
          </Show>
        </div>
      </div>
    </Show>
  )
}
