// `/w/:workspaceId/*`: loads the workspace, its members, its documents and
// rooms, opens the workspace's live socket (presence, chat events), holds the
// call this tab is in (so it survives moving between the room and documents;
// its sound plays from here), and lays out the rooms, the file tree and who is
// online beside the page of the route inside it.

import { A, useNavigate, useParams, type RouteSectionProps } from '@solidjs/router'
import { Show, createContext, createEffect, createSignal, on, onCleanup, useContext, type JSX } from 'solid-js'
import { CallIndicator } from '../components/CallBar'
import { CallAudio } from '../components/CallTiles'
import { ErrorText, Loading } from '../components/Feedback'
import { FileTree } from '../components/FileTree'
import { CollapseIcon } from '../components/Icons'
import { OnlineList } from '../components/OnlineList'
import { RoomList } from '../components/RoomList'
import { useAuth } from '../context'
import { createCall, type CallStore } from '../stores/call'
import { createChat, type ChatStore } from '../stores/chat'
import { createDocuments, type DocumentsStore } from '../stores/documents'
import { createLive, type LiveStore } from '../stores/live'
import { createWorkspace, type WorkspaceStore } from '../stores/workspaces'
import type { LiveLocation } from '../types'

export interface WorkspaceContextValue {
  workspace: WorkspaceStore
  documents: DocumentsStore
  chat: ChatStore
  live: LiveStore
  call: CallStore
}

const WorkspaceContext = createContext<WorkspaceContextValue>()

export function useWorkspace (): WorkspaceContextValue {
  const value = useContext(WorkspaceContext)
  if (!value) throw new Error('useWorkspace outside a workspace route')
  return value
}

export function WorkspaceLayout (props: RouteSectionProps) {
  const params = useParams<{ workspaceId: string, docId?: string, roomId?: string }>()
  const navigate = useNavigate()
  const auth = useAuth()
  const workspaceId = () => params.workspaceId
  const workspace = createWorkspace(workspaceId)
  const documents = createDocuments(workspaceId)

  // Where this tab is, for the others' online list.
  const location = (): LiveLocation => {
    if (params.roomId) return { kind: 'room', id: params.roomId }
    if (params.docId) return { kind: 'document', id: params.docId }
    return { kind: 'workspace' }
  }
  // Chat and live refer to each other: the socket hands events to the chat,
  // the chat sends typing notices on the socket.
  let liveRef: LiveStore | undefined
  const chat = createChat({
    workspaceId: () => (workspace.workspace.error() ? null : workspaceId()),
    selfId: () => auth.user()?.id,
    send: (command) => liveRef?.send(command) ?? false
  })
  const live = createLive({
    workspaceId: () => (workspace.workspace.error() ? null : workspaceId()),
    location,
    onEvent: chat.apply,
    onWelcome: (again) => { if (again) void chat.resync() },
    onDisconnect: chat.disconnected
  })
  liveRef = live
  // Access ended: signed out elsewhere or the session expired (ask who is
  // signed in: GET /auth/session answers without a 401), or removed from the
  // workspace (the page then says the workspace is unavailable).
  createEffect(on(live.closedReason, async (reason) => {
    if (!reason) return
    try {
      await auth.check()
    } catch {
      return
    }
    if (auth.status() === 'signed-in') void workspace.workspace.reload()
  }))
  const call = createCall({ selfName: () => auth.user()?.name, selfUserId: () => auth.user()?.id })
  // Another workspace: the call was one of the workspace before.
  createEffect(on(workspaceId, () => call.leave(), { defer: true }))
  /** People in the call of a room, as far as this tab knows (while it is in that call). */
  // The workspace's live socket tells who is in every room's call; this tab's
  // own call is known first-hand (and sooner).
  const inCall = (roomId: string) =>
    call.active() && call.roomId() === roomId ? call.participants().length : (live.calls()[roomId]?.length ?? 0)
  const value: WorkspaceContextValue = { workspace, documents, chat, live, call }

  // Roles and files change while a page stays open: look again when the
  // person comes back to the window, and every minute while it is visible.
  let lastRefresh = Date.now()
  const refresh = () => {
    if (document.visibilityState === 'hidden' || Date.now() - lastRefresh < 5000) return
    lastRefresh = Date.now()
    void workspace.workspace.reload()
    void documents.list.reload()
    void chat.rooms.reload()
  }
  const timer = setInterval(refresh, 60_000)
  window.addEventListener('focus', refresh)
  document.addEventListener('visibilitychange', refresh)
  onCleanup(() => {
    clearInterval(timer)
    window.removeEventListener('focus', refresh)
    document.removeEventListener('visibilitychange', refresh)
  })

  return (
    <WorkspaceContext.Provider value={value}>
      <WorkspaceView
        workspace={workspace}
        sidebar={
          <>
            <CallIndicator call={call} workspaceId={workspaceId()} roomName={(id) => chat.room(id)?.name} />
            <RoomList
              workspaceId={workspaceId()}
              rooms={chat.rooms.data()}
              loading={chat.rooms.loading()}
              loadError={chat.rooms.error()}
              currentRoomId={params.roomId}
              canEdit={workspace.canEdit()}
              unreadOf={chat.unreadOf}
              mentionCount={chat.totalUnread().mentions}
              peopleIn={(roomId) => live.usersAt({ kind: 'room', id: roomId }).length}
              inCall={inCall}
              archived={chat.archivedRooms.data()}
              showArchived={chat.showArchived()}
              onShowArchived={chat.setShowArchived}
              onCreate={async (name) => {
                const room = await chat.createRoom(name)
                navigate(`/w/${workspaceId()}/r/${room.id}`)
              }}
              onRename={async (roomId, name) => { await chat.renameRoom(roomId, name) }}
              onArchive={(roomId) => chat.archiveRoom(roomId)}
              onRestore={async (roomId) => { await chat.restoreRoom(roomId) }}
              onSearch={(q) => navigate(`/w/${workspaceId()}/search?q=${encodeURIComponent(q)}`)}
            />
            <ErrorText message={documents.list.error()} prefix="Could not load the files" />
            <Show when={documents.list.data()} fallback={<Show when={documents.list.loading()}><Loading what="files" /></Show>}>
              <FileTree
                tree={documents.tree()}
                workspaceId={workspaceId()}
                currentDocId={params.docId}
                canEdit={workspace.canEdit()}
                onCreate={async (path) => {
                  const doc = await documents.create(path)
                  navigate(`/w/${workspaceId()}/d/${doc.id}`)
                }}
                onMove={async (docId, path) => { await documents.move(docId, path) }}
                onRemove={async (docId) => {
                  await documents.remove(docId)
                  if (params.docId === docId) navigate(`/w/${workspaceId()}`)
                }}
                onMoveFolder={(from, to) => documents.moveFolder(from, to)}
                onRemoveFolder={async (prefix) => {
                  const open = params.docId ? documents.byId(params.docId) : undefined
                  await documents.removeFolder(prefix)
                  if (open && open.path.startsWith(prefix + '/')) navigate(`/w/${workspaceId()}`)
                }}
              />
            </Show>
            <OnlineList
              workspaceId={workspaceId()}
              online={live.online()}
              selfId={live.selfId() ?? auth.user()?.id}
              connected={live.state() === 'connected'}
              roomName={(id) => chat.room(id)?.name}
              documentPath={(id) => documents.byId(id)?.path}
            />
            <Show when={live.closedReason()}>
              <ErrorText message={live.closedReason()} />
            </Show>
          </>
        }
      >
        {props.children}
        <CallAudio call={call} />
      </WorkspaceView>
    </WorkspaceContext.Provider>
  )
}

export function WorkspaceView (props: { workspace: WorkspaceStore, sidebar: JSX.Element, children: JSX.Element }) {
  const [filesOpen, setFilesOpen] = createSignal(true)
  return (
    <Show
      when={!props.workspace.workspace.error()}
      fallback={
        <div class="page narrow">
          <h1>Workspace unavailable</h1>
          <ErrorText message={props.workspace.workspace.error()} />
          <p><A href="/">Back to your workspaces</A></p>
        </div>
      }
    >
      <div class="workspace" classList={{ 'files-hidden': !filesOpen() }}>
        <aside class="sidebar" aria-label="Workspace">
          <div class="sidebar-head">
            <A href={`/w/${props.workspace.id()}`} class="workspace-name" end>
              {props.workspace.workspace.data()?.name ?? 'Workspace'}
            </A>
            <Show when={props.workspace.workspace.data()}>
              {(ws) => <span class={`role role-${ws().role}`} title="Your role">{ws().role}</span>}
            </Show>
            <button type="button" class="icon files-toggle" aria-expanded={filesOpen()} aria-controls="sidebar-body"
              aria-label={filesOpen() ? 'Hide the sidebar' : 'Show the sidebar'} onClick={() => setFilesOpen(!filesOpen())}>
              <CollapseIcon open={filesOpen()} />
            </button>
          </div>
          <div id="sidebar-body" class="sidebar-body" hidden={!filesOpen()}>{props.sidebar}</div>
        </aside>
        <div class="workspace-main">{props.children}</div>
      </div>
    </Show>
  )
}
