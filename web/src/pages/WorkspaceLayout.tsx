// `/w/:workspaceId/*`: loads the workspace, its members and its documents,
// and lays out the file tree beside the page of the route inside it.

import { A, useNavigate, useParams, type RouteSectionProps } from '@solidjs/router'
import { Show, createContext, createSignal, onCleanup, useContext, type JSX } from 'solid-js'
import { ErrorText, Loading } from '../components/Feedback'
import { FileTree } from '../components/FileTree'
import { CollapseIcon } from '../components/Icons'
import { createDocuments, type DocumentsStore } from '../stores/documents'
import { createWorkspace, type WorkspaceStore } from '../stores/workspaces'

export interface WorkspaceContextValue {
  workspace: WorkspaceStore
  documents: DocumentsStore
}

const WorkspaceContext = createContext<WorkspaceContextValue>()

export function useWorkspace (): WorkspaceContextValue {
  const value = useContext(WorkspaceContext)
  if (!value) throw new Error('useWorkspace outside a workspace route')
  return value
}

export function WorkspaceLayout (props: RouteSectionProps) {
  const params = useParams<{ workspaceId: string, docId?: string }>()
  const navigate = useNavigate()
  const workspaceId = () => params.workspaceId
  const workspace = createWorkspace(workspaceId)
  const documents = createDocuments(workspaceId)
  const value: WorkspaceContextValue = { workspace, documents }

  // Roles and files change while a page stays open: look again when the
  // person comes back to the window, and every minute while it is visible.
  let lastRefresh = Date.now()
  const refresh = () => {
    if (document.visibilityState === 'hidden' || Date.now() - lastRefresh < 5000) return
    lastRefresh = Date.now()
    void workspace.workspace.reload()
    void documents.list.reload()
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
          </>
        }
      >
        {props.children}
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
              aria-label={filesOpen() ? 'Hide files' : 'Show files'} onClick={() => setFilesOpen(!filesOpen())}>
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
