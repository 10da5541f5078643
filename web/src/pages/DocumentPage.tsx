// `/w/:workspaceId/d/:docId`: one document, live. The container loads the
// document, opens its collaboration connection and its history; the view lays
// out the toolbar (presence, connection, read-only badge, joining the default
// room's call), a compact strip of the call this tab is in, the editor, the
// history panel and the workspace's default room as a chat panel.

import { A, useParams, useSearchParams } from '@solidjs/router'
import { Show, createEffect, createMemo, createSignal, on, onCleanup, untrack, type JSX } from 'solid-js'
import { api, collabUrl } from '../api'
import { CallBar, CallJoinButton } from '../components/CallBar'
import { CollabEditor } from '../components/CollabEditor'
import { ConnectionStatus } from '../components/ConnectionStatus'
import { ErrorText, Loading } from '../components/Feedback'
import { HistoryPanel, versionTitle } from '../components/HistoryPanel'
import { ChatIcon, CloseIcon } from '../components/Icons'
import { PresenceList } from '../components/PresenceList'
import { VersionViewer, type ViewerMode } from '../components/VersionViewer'
import { useAuth } from '../context'
import { createDarkMode } from '../lib/theme'
import { createCollab, type CollabStore } from '../stores/collab'
import { CURRENT, createHistory } from '../stores/history'
import { createLoader } from '../stores/loader'
import type { DocumentInfo } from '../types'
import { branchOriginCandidates } from '../lib/tree'
import { RoomChat } from './RoomPage'
import { useWorkspace } from './WorkspaceLayout'

const CHAT_PANEL_KEY = 'reynard.chatPanel'

/** Whether the chat panel beside the editor is open (remembered in this browser). */
function createChatPanelState () {
  const read = () => {
    try {
      return globalThis.localStorage?.getItem(CHAT_PANEL_KEY) !== 'closed'
    } catch {
      return true
    }
  }
  const [open, setOpen] = createSignal(read())
  const set = (value: boolean) => {
    setOpen(value)
    try {
      globalThis.localStorage?.setItem(CHAT_PANEL_KEY, value ? 'open' : 'closed')
    } catch {
      // storage disabled: remembered for this page only
    }
  }
  return [open, set] as const
}

export function DocumentPage () {
  const params = useParams<{ workspaceId: string, docId: string }>()
  const [search, setSearch] = useSearchParams()
  const auth = useAuth()
  const { workspace, documents, chat, call } = useWorkspace()
  const dark = createDarkMode()
  const [chatOpen, setChatOpen] = createChatPanelState()
  const general = () => chat.defaultRoom()
  const docId = () => params.docId

  // The list has it unless it is new or the list is still loading.
  const fetched = createLoader(docId, (id) => api.documents.get(id))
  const info = (): DocumentInfo | undefined => documents.byId(docId()) ?? fetched.data()

  // A new connection (fresh Y.Doc) per document, and again after the server
  // refused an edit (the role changed): the editor then shows the server's text.
  const [generation, setGeneration] = createSignal(0)
  const collab = createMemo(on([docId, generation], ([id]) => {
    const user = untrack(auth.user)
    if (!user) return null
    const nameOf = (userId: string) => workspace.members.data()?.find((m) => m.user_id === userId)?.name
    const store = createCollab({ docId: id, user, url: collabUrl(), nameOf })
    onCleanup(() => store.destroy())
    return store
  }))

  createEffect(on(() => collab()?.denied(), async (denied) => {
    if (!denied) return
    await workspace.workspace.reload()
    setGeneration((n) => n + 1)
  }))
  // Promoted from viewer: reconnect, so that the server takes the edits.
  createEffect(on(() => workspace.workspace.data()?.role, (role, previous) => {
    if (previous === 'viewer' && (role === 'editor' || role === 'owner')) setGeneration((n) => n + 1)
  }, { defer: true }))
  // A deleted document leaves the file tree.
  createEffect(on(() => collab()?.closedReason(), (reason) => { if (reason) void documents.list.reload() }))

  const history = createHistory(() => (search.panel === 'history' ? docId() : null))
  const [viewer, setViewer] = createSignal<ViewerMode | null>(null)
  // Leaving a document closes what was shown of its history.
  createEffect(on(docId, () => setViewer(null), { defer: true }))

  // Read-only until the role is known; the badge only for viewers.
  const readOnly = () => !workspace.canEdit()
  const isViewer = () => workspace.workspace.data()?.role === 'viewer'
  const historyOpen = () => search.panel === 'history'
  const setHistoryOpen = (open: boolean) => setSearch({ panel: open ? 'history' : undefined }, { replace: true })

  const textOf = (versionId: string) =>
    versionId === CURRENT
      ? Promise.resolve(collab()?.text.toString() ?? '')
      : history.content(versionId)

  // Whether this document is a branch: its path names its origin
  // (`src/main@fix.rs` of `src/main.rs`), and the origin lists it.
  const origin = createLoader(
    () => {
      const doc = info()
      return historyOpen() && doc && doc.path.includes('@') ? `${doc.id}\n${doc.path}` : false
    },
    async (key) => {
      const [id, path] = key.split('\n')
      for (const candidatePath of branchOriginCandidates(path)) {
        const candidate = documents.list.data()?.find((d) => d.path === candidatePath)
        if (!candidate) continue
        const branches = await api.history.branches(candidate.id)
        if (branches.some((b) => b.id === id)) return { id: candidate.id, path: candidate.path }
      }
      return null
    }
  )
  const branchOf = () => origin.data() ?? null

  return (
    <DocumentView
      info={info()}
      loadError={info() ? null : fetched.error()}
      collab={collab()}
      readOnly={readOnly()}
      isViewer={isViewer()}
      dark={dark()}
      historyOpen={historyOpen()}
      onToggleHistory={() => setHistoryOpen(!historyOpen())}
      viewer={viewer()}
      onCloseViewer={() => setViewer(null)}
      textOf={textOf}
      chatOpen={chatOpen()}
      onToggleChat={() => setChatOpen(!chatOpen())}
      chatName={general()?.name ?? null}
      chatUnread={general() ? chat.unreadOf(general()!.id).unread : 0}
      callButton={<CallJoinButton call={call} roomId={general()?.id ?? null} roomName={general()?.name ?? null} />}
      callBar={<CallBar call={call} roomName={(id) => chat.room(id)?.name} />}
      chat={
        <Show when={general()?.id} keyed fallback={<Show when={chat.rooms.loading()}><Loading what="the chat" /></Show>}>
          {(roomId) => <RoomChat roomId={roomId} />}
        </Show>
      }
      history={
        <HistoryPanel
          workspaceId={params.workspaceId}
          versions={history.versions.data()}
          versionsLoading={history.versions.loading()}
          versionsError={history.versions.error()}
          branches={history.branches.data()}
          branchesError={history.branches.error()}
          canEdit={workspace.canEdit()}
          branchOf={branchOf()}
          nameOf={workspace.nameOf}
          onRefresh={() => { void history.refresh() }}
          onView={(v) => setViewer({ kind: 'view', versionId: v.id, title: `Version “${versionTitle(v)}”` })}
          onCompare={(from, to) => {
            const title = (id: string) => {
              if (id === CURRENT) return 'now'
              const v = history.versions.data()?.find((x) => x.id === id)
              return v ? `“${versionTitle(v)}”` : 'version'
            }
            setViewer({ kind: 'diff', from, to, title: `Changes from ${title(from)} to ${title(to)}` })
          }}
          onRestore={async (v) => {
            await history.restore(v.id)
            setViewer(null)
          }}
          onNameCurrent={(name) => history.nameCurrent(name)}
          onCreateBranch={async (name, from) => {
            const branch = await history.createBranch(name, from)
            await documents.list.reload()
            return branch
          }}
          onMerge={async (branchId) => {
            const n = await history.merge(branchId)
            await history.branches.reload()
            return n
          }}
          onMergeBack={async () => {
            const n = await history.merge(docId())
            await history.branches.reload()
            return n
          }}
          onClose={() => setHistoryOpen(false)}
        />
      }
    />
  )
}

export function DocumentView (props: {
  info: DocumentInfo | undefined
  loadError: string | null
  collab: CollabStore | null
  readOnly: boolean
  isViewer: boolean
  dark: boolean
  historyOpen: boolean
  onToggleHistory: () => void
  viewer: ViewerMode | null
  onCloseViewer: () => void
  textOf: (versionId: string) => Promise<string>
  history: JSX.Element
  chatOpen: boolean
  onToggleChat: () => void
  /** The default room's name (null until the rooms are known). */
  chatName: string | null
  chatUnread: number
  chat: JSX.Element
  /** Joins the default room's call (toolbar). */
  callButton?: JSX.Element
  /** The call this tab is in, as a compact strip under the toolbar. */
  callBar?: JSX.Element
}) {
  return (
    <Show when={!props.loadError} fallback={
      <div class="page narrow">
        <h1>Document unavailable</h1>
        <ErrorText message={props.loadError} />
        <p><A href="/">Back to your workspaces</A></p>
      </div>
    }>
      <div class="document" classList={{ 'with-history': props.historyOpen, 'with-chat': props.chatOpen }}>
        <div class="doc-toolbar">
          <div class="doc-title">
            <h1 class="doc-path" title={props.info?.path}>{props.info?.path ?? 'Loading…'}</h1>
            <Show when={props.info}>{(doc) => <span class="lang">{doc().language}</span>}</Show>
            <Show when={props.isViewer}>
              <span class="badge readonly" data-testid="readonly-badge" title="You are a viewer in this workspace">Read-only</span>
            </Show>
          </div>
          <div class="doc-tools">
            <Show when={props.collab}>
              {(c) => (
                <>
                  <PresenceList people={c().people()} />
                  <ConnectionStatus state={c().state()} pending={c().pending()} reason={c().closedReason()} />
                </>
              )}
            </Show>
            {props.callButton}
            <button type="button" class="secondary small" aria-expanded={props.historyOpen} aria-controls="history"
              data-testid="toggle-history" onClick={() => props.onToggleHistory()}>History</button>
            <button type="button" class="secondary small chat-toggle" aria-expanded={props.chatOpen} aria-controls="doc-chat"
              data-testid="toggle-chat" onClick={() => props.onToggleChat()}
              title={props.chatOpen ? 'Hide the chat' : 'Show the chat'}>
              <ChatIcon />
              <span>Chat</span>
              <Show when={!props.chatOpen && props.chatUnread > 0}>
                <span class="count-badge" aria-label={`${props.chatUnread} unread`}>{props.chatUnread}</span>
              </Show>
            </button>
          </div>
        </div>
        {props.callBar}
        <Show when={props.collab?.denied()}>
          <ErrorText message={`The server did not accept an edit: ${props.collab?.denied()}.`} />
        </Show>
        <div class="doc-body">
          <div class="doc-main">
            <Show when={props.collab && props.info} fallback={<Loading what="the document" />}>
              <Show when={props.collab} keyed>
                {(c) => (
                  <CollabEditor
                    collab={c}
                    language={props.info?.language ?? 'plaintext'}
                    path={props.info?.path ?? ''}
                    readOnly={props.readOnly}
                    dark={props.dark}
                    hidden={props.viewer !== null}
                  />
                )}
              </Show>
            </Show>
            <Show when={props.viewer} keyed>
              {(mode) => (
                <VersionViewer mode={mode} language={props.info?.language ?? 'plaintext'} dark={props.dark}
                  textOf={props.textOf} onClose={() => props.onCloseViewer()} />
              )}
            </Show>
          </div>
          <Show when={props.historyOpen}>
            <div id="history" class="doc-side">{props.history}</div>
          </Show>
          <Show when={props.chatOpen}>
            <aside id="doc-chat" class="doc-side doc-chat" aria-label={props.chatName ? `Chat in #${props.chatName}` : 'Chat'}>
              <div class="doc-chat-head">
                <h2>#{props.chatName ?? 'chat'}</h2>
                <button type="button" class="icon" aria-label="Hide the chat" onClick={() => props.onToggleChat()}><CloseIcon /></button>
              </div>
              {props.chat}
            </aside>
          </Show>
        </div>
      </div>
    </Show>
  )
}
