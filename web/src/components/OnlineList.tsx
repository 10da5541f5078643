// Who has the workspace open now, and where: a room, a document, or the
// workspace's overview. Live from the workspace socket.

import { A } from '@solidjs/router'
import { For, Show } from 'solid-js'
import { distinctLocations } from '../lib/chat'
import { colorFor, initials } from '../lib/colors'
import type { LiveLocation, OnlineUser } from '../types'

export interface OnlineListProps {
  workspaceId: string
  online: readonly OnlineUser[]
  selfId: string | null | undefined
  /** Whether the live connection is up (else the list is not current). */
  connected: boolean
  roomName: (roomId: string) => string | undefined
  documentPath: (docId: string) => string | undefined
}

/** Where someone is, in words. */
export function placeText (location: LiveLocation, roomName: (id: string) => string | undefined, documentPath: (id: string) => string | undefined): string {
  switch (location.kind) {
    case 'workspace': return 'overview'
    case 'room': return `#${roomName(location.id) ?? 'a room'}`
    case 'document': return documentPath(location.id) ?? 'a document'
  }
}

function hrefOf (workspaceId: string, location: LiveLocation): string {
  switch (location.kind) {
    case 'workspace': return `/w/${workspaceId}`
    case 'room': return `/w/${workspaceId}/r/${location.id}`
    case 'document': return `/w/${workspaceId}/d/${location.id}`
  }
}

export function OnlineList (props: OnlineListProps) {
  return (
    <section class="online" aria-labelledby="online-title" data-testid="online-list">
      <div class="file-tree-head">
        <h2 id="online-title">Online{props.connected ? ` · ${props.online.length}` : ''}</h2>
      </div>
      <Show when={props.connected} fallback={<p class="muted small-text">Connecting…</p>}>
        <ul class="online-list">
          <For each={props.online}>
            {(user) => (
              <li class="online-user" data-testid="online-user" data-user-id={user.user_id}>
                <span class="avatar" style={{ 'background-color': colorFor(user.user_id) }} aria-hidden="true">{initials(user.name)}</span>
                <span class="online-who">
                  <span class="online-name">
                    {user.name}
                    <Show when={user.user_id === props.selfId}><span class="muted"> (you)</span></Show>
                  </span>
                  <span class="online-where muted small-text">
                    <For each={distinctLocations(user.locations)}>
                      {(location, i) => (
                        <>
                          {i() > 0 ? ', ' : ''}
                          <A href={hrefOf(props.workspaceId, location)} class="online-place">
                            {placeText(location, props.roomName, props.documentPath)}
                          </A>
                        </>
                      )}
                    </For>
                  </span>
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  )
}
