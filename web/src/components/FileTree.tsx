// The file tree of a workspace: open files, and (editors, owners) create,
// rename/move and delete files and folders. Folders are path prefixes: a new
// folder is made by creating its first file; renaming a folder moves every
// file under it. Everything is reachable with Tab, Enter and Escape.

import { A } from '@solidjs/router'
import { For, Match, Show, Switch, createSignal, onMount, type JSX } from 'solid-js'
import { createAction } from '../stores/action'
import { cleanPath, type FolderNode, type TreeNode } from '../lib/tree'
import { ErrorText } from './Feedback'
import { ChevronIcon, FileIcon, PencilIcon, PlusIcon, TrashIcon } from './Icons'

export interface FileTreeProps {
  tree: FolderNode
  workspaceId: string
  currentDocId?: string
  canEdit: boolean
  onCreate: (path: string) => Promise<void>
  onMove: (docId: string, path: string) => Promise<void>
  onRemove: (docId: string) => Promise<void>
  onMoveFolder: (from: string, to: string) => Promise<void>
  onRemoveFolder: (prefix: string) => Promise<void>
}

type Editing =
  | { kind: 'new-file', folder: string }
  | { kind: 'new-folder', folder: string }
  | { kind: 'rename', path: string, folder: boolean }
  | { kind: 'delete', path: string, folder: boolean }
  | null

export function FileTree (props: FileTreeProps) {
  const [editing, setEditing] = createSignal<Editing>(null)
  const [collapsed, setCollapsed] = createSignal<ReadonlySet<string>>(new Set())
  const action = createAction(async (work: () => Promise<void>) => {
    await work()
    setEditing(null)
  })
  const run = (work: () => Promise<void>) => { void action.run(work) }
  const toggle = (path: string) => {
    const next = new Set(collapsed())
    if (next.has(path)) next.delete(path)
    else next.add(path)
    setCollapsed(next)
  }
  const startEditing = (value: Editing) => {
    action.clearError()
    setEditing(value)
  }
  const isEditing = (kind: string, path: string) => {
    const e = editing()
    if (!e || e.kind !== kind) return false
    return 'path' in e ? e.path === path : e.folder === path
  }

  const Items = (p: { folder: FolderNode, depth: number }): JSX.Element => (
    <For each={p.folder.children}>
      {(node: TreeNode) => (
        <Switch>
          <Match when={node.kind === 'folder' && node}>
            {(folder) => (
              <li class="tree-item" data-testid="tree-folder" data-path={folder().path}>
                <div class="tree-row" style={{ '--depth': p.depth }}>
                  <button
                    type="button"
                    class="tree-folder-toggle"
                    aria-expanded={!collapsed().has(folder().path)}
                    onClick={() => toggle(folder().path)}
                  >
                    <span class="tree-icon"><ChevronIcon open={!collapsed().has(folder().path)} /></span>
                    <span class="tree-name">{folder().name}</span>
                  </button>
                  <Show when={props.canEdit}>
                    <span class="row-actions">
                      <button type="button" class="icon" aria-label={`New file in ${folder().path}`} title="New file here"
                        onClick={() => startEditing({ kind: 'new-file', folder: folder().path })}><PlusIcon /></button>
                      <button type="button" class="icon" aria-label={`Rename or move folder ${folder().path}`} title="Rename or move"
                        onClick={() => startEditing({ kind: 'rename', path: folder().path, folder: true })}><PencilIcon /></button>
                      <button type="button" class="icon" aria-label={`Delete folder ${folder().path}`} title="Delete"
                        onClick={() => startEditing({ kind: 'delete', path: folder().path, folder: true })}><TrashIcon /></button>
                    </span>
                  </Show>
                </div>
                <Show when={isEditing('rename', folder().path)}>
                  <PathForm label={`New path of folder ${folder().path}`} initial={folder().path} submit="Move"
                    pending={action.pending()} onCancel={() => setEditing(null)}
                    onSubmit={(to) => run(() => props.onMoveFolder(folder().path, to))} />
                </Show>
                <Show when={isEditing('delete', folder().path)}>
                  <Confirm text={`Delete folder ${folder().path} and every file in it?`} confirm="Delete folder"
                    pending={action.pending()} onCancel={() => setEditing(null)}
                    onConfirm={() => run(() => props.onRemoveFolder(folder().path))} />
                </Show>
                <Show when={isEditing('new-file', folder().path)}>
                  <PathForm label="New file path" initial={folder().path + '/'} submit="Create"
                    pending={action.pending()} onCancel={() => setEditing(null)}
                    onSubmit={(path) => run(() => props.onCreate(path))} />
                </Show>
                <Show when={!collapsed().has(folder().path)}>
                  <ul class="tree-list"><Items folder={folder()} depth={p.depth + 1} /></ul>
                </Show>
              </li>
            )}
          </Match>
          <Match when={node.kind === 'file' && node}>
            {(file) => (
              <li class="tree-item" data-testid="tree-file" data-path={file().path}>
                <div class="tree-row" classList={{ current: file().doc.id === props.currentDocId }} style={{ '--depth': p.depth }}>
                  <A
                    href={`/w/${props.workspaceId}/d/${file().doc.id}`}
                    class="tree-link"
                    aria-current={file().doc.id === props.currentDocId ? 'page' : undefined}
                    title={file().path}
                  >
                    <span class="tree-icon"><FileIcon /></span>
                    <span class="tree-name">{file().name}</span>
                  </A>
                  <Show when={props.canEdit}>
                    <span class="row-actions">
                      <button type="button" class="icon" aria-label={`Rename or move ${file().path}`} title="Rename or move"
                        onClick={() => startEditing({ kind: 'rename', path: file().path, folder: false })}><PencilIcon /></button>
                      <button type="button" class="icon" aria-label={`Delete ${file().path}`} title="Delete"
                        onClick={() => startEditing({ kind: 'delete', path: file().path, folder: false })}><TrashIcon /></button>
                    </span>
                  </Show>
                </div>
                <Show when={isEditing('rename', file().path)}>
                  <PathForm label={`New path of ${file().path}`} initial={file().path} submit="Move"
                    pending={action.pending()} onCancel={() => setEditing(null)}
                    onSubmit={(to) => run(() => props.onMove(file().doc.id, to))} />
                </Show>
                <Show when={isEditing('delete', file().path)}>
                  <Confirm text={`Delete ${file().path}?`} confirm="Delete"
                    pending={action.pending()} onCancel={() => setEditing(null)}
                    onConfirm={() => run(() => props.onRemove(file().doc.id))} />
                </Show>
              </li>
            )}
          </Match>
        </Switch>
      )}
    </For>
  )

  return (
    <nav class="file-tree" aria-label="Files" data-testid="file-tree">
      <div class="file-tree-head">
        <h2>Files</h2>
        <Show when={props.canEdit}>
          <div class="row-gap">
            <button type="button" class="secondary small" data-testid="new-file"
              onClick={() => startEditing({ kind: 'new-file', folder: '' })}>New file</button>
            <button type="button" class="secondary small" data-testid="new-folder"
              onClick={() => startEditing({ kind: 'new-folder', folder: '' })}>New folder</button>
          </div>
        </Show>
      </div>
      <Show when={isEditing('new-file', '')}>
        <PathForm label="New file path" initial="" placeholder="src/main.rs" submit="Create"
          pending={action.pending()} onCancel={() => setEditing(null)}
          onSubmit={(path) => run(() => props.onCreate(path))} />
      </Show>
      <Show when={isEditing('new-folder', '')}>
        <NewFolderForm pending={action.pending()} onCancel={() => setEditing(null)}
          onSubmit={(folder, file) => run(() => props.onCreate(`${cleanPath(folder)}/${cleanPath(file)}`))} />
      </Show>
      <ErrorText message={action.error()} onDismiss={action.clearError} />
      <Show when={props.tree.children.length > 0} fallback={<p class="muted small-text">No files yet.</p>}>
        <ul class="tree-list root"><Items folder={props.tree} depth={0} /></ul>
      </Show>
    </nav>
  )
}

/** A one-field form for a path: Enter submits, Escape cancels; focused when shown. */
function PathForm (props: {
  label: string
  initial: string
  placeholder?: string
  submit: string
  pending: boolean
  onSubmit: (path: string) => void
  onCancel: () => void
}) {
  let input!: HTMLInputElement
  onMount(() => {
    input.focus()
    const dot = props.initial.lastIndexOf('.')
    const slash = props.initial.lastIndexOf('/')
    // Select the name without its extension, as file managers do.
    if (dot > slash + 1) input.setSelectionRange(slash + 1, dot)
  })
  return (
    <form
      class="tree-form"
      onSubmit={(e) => {
        e.preventDefault()
        const value = cleanPath(input.value)
        if (value) props.onSubmit(value)
      }}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); props.onCancel() } }}
    >
      <input ref={input} aria-label={props.label} value={props.initial} placeholder={props.placeholder} required
        data-testid="path-input" spellcheck={false} autocomplete="off" />
      <button type="submit" class="small" disabled={props.pending}>{props.submit}</button>
      <button type="button" class="secondary small" onClick={() => props.onCancel()}>Cancel</button>
    </form>
  )
}

function NewFolderForm (props: { pending: boolean, onSubmit: (folder: string, file: string) => void, onCancel: () => void }) {
  let folder!: HTMLInputElement
  onMount(() => folder.focus())
  return (
    <form
      class="tree-form column"
      onSubmit={(e) => {
        e.preventDefault()
        const file = (e.currentTarget.elements.namedItem('file') as HTMLInputElement).value
        if (cleanPath(folder.value) && cleanPath(file)) props.onSubmit(folder.value, file)
      }}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); props.onCancel() } }}
    >
      <label>Folder <input ref={folder} name="folder" placeholder="src" required spellcheck={false} autocomplete="off" /></label>
      <label>First file <input name="file" value="README.md" required spellcheck={false} autocomplete="off" /></label>
      <p class="hint">A folder exists while it holds a file.</p>
      <div class="row-gap">
        <button type="submit" class="small" disabled={props.pending}>Create folder</button>
        <button type="button" class="secondary small" onClick={() => props.onCancel()}>Cancel</button>
      </div>
    </form>
  )
}

function Confirm (props: { text: string, confirm: string, pending: boolean, onConfirm: () => void, onCancel: () => void }) {
  let cancel!: HTMLButtonElement
  onMount(() => cancel.focus())
  return (
    <div class="tree-form confirm" role="group" aria-label={props.text}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); props.onCancel() } }}>
      <span>{props.text}</span>
      <button type="button" class="danger small" disabled={props.pending} onClick={() => props.onConfirm()}>{props.confirm}</button>
      <button type="button" ref={cancel} class="secondary small" onClick={() => props.onCancel()}>Cancel</button>
    </div>
  )
}
