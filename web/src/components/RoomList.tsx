// The rooms of a workspace in the sidebar: each with its unread count (and
// how many are in its call while this tab is in it), a search box for the
// workspace's messages, the messages that mention me, and (owners, editors)
// new room, rename, archive and restore.

import { A } from '@solidjs/router'
import { For, Show, createSignal, onMount } from 'solid-js'
import type { UnreadCount } from '../lib/chat'
import { createAction } from '../stores/action'
import type { Room } from '../types'
import { ErrorText, Loading } from './Feedback'
import { ArchiveIcon, CameraIcon, HashIcon, PencilIcon } from './Icons'

export interface RoomListProps {
  workspaceId: string
  rooms: readonly Room[] | undefined
  loading: boolean
  loadError: string | null
  currentRoomId?: string
  canEdit: boolean
  unreadOf: (roomId: string) => UnreadCount
  /** Unread messages that mention me, over all rooms. */
  mentionCount: number
  /** People with a tab in a room now. */
  peopleIn?: (roomId: string) => number
  /** People in a room's call (known while this tab is in it). */
  inCall?: (roomId: string) => number
  archived: readonly Room[] | undefined
  showArchived: boolean
  onShowArchived: (show: boolean) => void
  onCreate: (name: string) => Promise<void>
  onRename: (roomId: string, name: string) => Promise<void>
  onArchive: (roomId: string) => Promise<void>
  onRestore: (roomId: string) => Promise<void>
  onSearch: (query: string) => void
}

type Editing = { kind: 'new' } | { kind: 'rename', roomId: string } | { kind: 'archive', roomId: string } | null

export function RoomList (props: RoomListProps) {
  const [editing, setEditing] = createSignal<Editing>(null)
  const action = createAction(async (work: () => Promise<void>) => {
    await work()
    setEditing(null)
  })
  const run = (work: () => Promise<void>) => { void action.run(work) }
  const start = (value: Editing) => {
    action.clearError()
    setEditing(value)
  }
  const isEditing = (kind: 'rename' | 'archive', roomId: string) => {
    const e = editing()
    return !!e && e.kind === kind && e.roomId === roomId
  }

  return (
    <nav class="room-list" aria-label="Rooms" data-testid="room-list">
      <form class="chat-search" role="search" onSubmit={(e) => {
        e.preventDefault()
        const q = (e.currentTarget.elements.namedItem('q') as HTMLInputElement).value.trim()
        if (q) props.onSearch(q)
      }}>
        <input name="q" type="search" aria-label="Search messages" placeholder="Search messages" data-testid="chat-search" autocomplete="off" />
      </form>
      <A href={`/w/${props.workspaceId}/mentions`} class="mentions-link" data-testid="mentions-link">
        <span>Mentions</span>
        <Show when={props.mentionCount > 0}>
          <span class="count-badge mention" title={`${props.mentionCount} unread mention${props.mentionCount === 1 ? '' : 's'}`}>{props.mentionCount}</span>
        </Show>
      </A>
      <div class="file-tree-head">
        <h2>Rooms</h2>
        <Show when={props.canEdit}>
          <button type="button" class="secondary small" data-testid="new-room" onClick={() => start({ kind: 'new' })}>New room</button>
        </Show>
      </div>
      <Show when={editing()?.kind === 'new'}>
        <NameForm label="New room name" initial="" submit="Create" pending={action.pending()}
          onCancel={() => setEditing(null)} onSubmit={(name) => run(() => props.onCreate(name))} />
      </Show>
      <ErrorText message={action.error()} onDismiss={action.clearError} />
      <ErrorText message={props.loadError} prefix="Could not load the rooms" />
      <Show when={props.rooms} fallback={<Show when={props.loading}><Loading what="rooms" /></Show>}>
        {(rooms) => (
          <ul class="tree-list">
            <For each={rooms()}>
              {(room) => {
                const unread = () => props.unreadOf(room.id)
                const current = () => room.id === props.currentRoomId
                const people = () => props.peopleIn?.(room.id) ?? 0
                const calling = () => props.inCall?.(room.id) ?? 0
                return (
                  <li class="tree-item" data-testid="room-item" data-room-id={room.id} data-room-name={room.name}>
                    <div class="tree-row" classList={{ current: current(), unread: unread().unread > 0 }}>
                      <A href={`/w/${props.workspaceId}/r/${room.id}`} class="tree-link" aria-current={current() ? 'page' : undefined}
                        title={`#${room.name}`}>
                        <span class="tree-icon"><HashIcon /></span>
                        <span class="tree-name">{room.name}</span>
                        <Show when={people() > 0}>
                          <span class="room-people muted" title={`${people()} here now`} aria-label={`${people()} here now`}>●</span>
                        </Show>
                        <Show when={calling() > 0}>
                          <span class="room-call" data-testid="room-call-count" title={`${calling()} in the call`}>
                            <CameraIcon /><span aria-hidden="true">{calling()}</span><span class="sr-only">{calling()} in the call</span>
                          </span>
                        </Show>
                        <Show when={unread().unread > 0}>
                          <span class="count-badge" classList={{ mention: unread().mentions > 0 }} data-testid="unread-badge"
                            title={`${unread().unread} unread${unread().mentions > 0 ? `, ${unread().mentions} mentioning you` : ''}`}>
                            {unread().unread}
                          </span>
                          <span class="sr-only"> unread</span>
                        </Show>
                      </A>
                      <Show when={props.canEdit}>
                        <span class="row-actions">
                          <button type="button" class="icon" aria-label={`Rename #${room.name}`} title="Rename"
                            onClick={() => start({ kind: 'rename', roomId: room.id })}><PencilIcon /></button>
                          <Show when={!room.is_default}>
                            <button type="button" class="icon" aria-label={`Archive #${room.name}`} title="Archive"
                              onClick={() => start({ kind: 'archive', roomId: room.id })}><ArchiveIcon /></button>
                          </Show>
                        </span>
                      </Show>
                    </div>
                    <Show when={isEditing('rename', room.id)}>
                      <NameForm label={`New name of #${room.name}`} initial={room.name} submit="Rename" pending={action.pending()}
                        onCancel={() => setEditing(null)} onSubmit={(name) => run(() => props.onRename(room.id, name))} />
                    </Show>
                    <Show when={isEditing('archive', room.id)}>
                      <div class="tree-form confirm" role="group" aria-label={`Archive #${room.name}?`}>
                        <span>Archive #{room.name}? Its messages stay readable; nobody can write there.</span>
                        <button type="button" class="danger small" disabled={action.pending()}
                          onClick={() => run(() => props.onArchive(room.id))}>Archive</button>
                        <button type="button" class="secondary small" onClick={() => setEditing(null)}>Cancel</button>
                      </div>
                    </Show>
                  </li>
                )
              }}
            </For>
          </ul>
        )}
      </Show>
      <button type="button" class="link small-text archived-toggle" aria-expanded={props.showArchived}
        onClick={() => props.onShowArchived(!props.showArchived)}>
        {props.showArchived ? 'Hide archived rooms' : 'Archived rooms'}
      </button>
      <Show when={props.showArchived}>
        <Show when={props.archived} fallback={<Loading what="archived rooms" />}>
          {(archived) => (
            <Show when={archived().length > 0} fallback={<p class="muted small-text">No archived rooms.</p>}>
              <ul class="tree-list archived">
                <For each={archived()}>
                  {(room) => (
                    <li class="tree-item" data-testid="archived-room" data-room-id={room.id}>
                      <div class="tree-row" classList={{ current: room.id === props.currentRoomId }}>
                        <A href={`/w/${props.workspaceId}/r/${room.id}`} class="tree-link muted" title={`#${room.name} (archived)`}>
                          <span class="tree-icon"><ArchiveIcon /></span>
                          <span class="tree-name">{room.name}</span>
                        </A>
                        <Show when={props.canEdit}>
                          <button type="button" class="secondary small" onClick={() => run(() => props.onRestore(room.id))}
                            disabled={action.pending()}>Restore</button>
                        </Show>
                      </div>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          )}
        </Show>
      </Show>
    </nav>
  )
}

/** A one-field form for a room name: Enter submits, Escape cancels; focused when shown. */
function NameForm (props: {
  label: string
  initial: string
  submit: string
  pending: boolean
  onSubmit: (name: string) => void
  onCancel: () => void
}) {
  let input!: HTMLInputElement
  onMount(() => {
    input.focus()
    input.select()
  })
  return (
    <form
      class="tree-form"
      onSubmit={(e) => {
        e.preventDefault()
        const value = input.value.trim()
        if (value) props.onSubmit(value)
      }}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); props.onCancel() } }}
    >
      <input ref={input} aria-label={props.label} value={props.initial} placeholder="release-planning" required
        maxlength="64" data-testid="room-name-input" spellcheck={false} autocomplete="off" />
      <button type="submit" class="small" disabled={props.pending}>{props.submit}</button>
      <button type="button" class="secondary small" onClick={() => props.onCancel()}>Cancel</button>
    </form>
  )
}
