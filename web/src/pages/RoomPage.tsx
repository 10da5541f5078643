// `/w/:workspaceId/r/:roomId`: one room — its chat now; the room's call will
// sit above the chat in `.room-body`. `RoomChat` is the chat of any room
// wired to the workspace's stores (also the default room's panel on the
// document page).

import { A, useParams } from '@solidjs/router'
import { For, Show, createEffect, on, onCleanup, type JSX } from 'solid-js'
import { api } from '../api'
import { ChatPanel } from '../components/ChatPanel'
import { ErrorText, Loading } from '../components/Feedback'
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
  const { chat, live } = useWorkspace()
  const roomId = () => params.roomId
  // The list has it unless it is archived, new, or the list is still loading.
  const fetched = createLoader(() => (chat.room(roomId()) ? false : roomId()), (id) => api.rooms.get(id))
  const room = () => chat.room(roomId()) ?? (fetched.data()?.id === roomId() ? fetched.data() : undefined)
  const here = () => live.usersAt({ kind: 'room', id: roomId() })

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
          <ul class="presence-list" aria-label="Here now" data-testid="room-presence">
            <For each={here()}>
              {(user) => (
                <li class="presence-user" title={user.name}>
                  <span class="avatar" style={{ 'background-color': colorFor(user.user_id) }} aria-hidden="true">{initials(user.name)}</span>
                  <span class="presence-name">{user.name}</span>
                </li>
              )}
            </For>
          </ul>
        </div>
        <div class="room-body">
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
