// `/w/:workspaceId`: the workspace's overview — members and, for owners,
// the workspace's name and deletion.

import { useNavigate } from '@solidjs/router'
import { Show, createSignal } from 'solid-js'
import { ErrorText } from '../components/Feedback'
import { MembersPanel } from '../components/MembersPanel'
import { useAuth } from '../context'
import { createAction } from '../stores/action'
import { useWorkspace } from './WorkspaceLayout'

export function WorkspaceHomePage () {
  const { workspace, documents } = useWorkspace()
  const auth = useAuth()
  const navigate = useNavigate()
  const [confirmDelete, setConfirmDelete] = createSignal(false)
  const rename = createAction((name: string) => workspace.rename(name))
  const remove = createAction(async () => {
    await workspace.remove()
    navigate('/', { replace: true })
  })
  const name = () => workspace.workspace.data()?.name ?? ''

  return (
    <div class="page">
      <h1>{name() || 'Workspace'}</h1>
      <p class="muted">
        <Show when={documents.list.data()} fallback="Open a file from the list.">
          {(docs) => docs().length === 0
            ? (workspace.canEdit() ? 'No files yet: create one with “New file”.' : 'No files yet.')
            : `${docs().length} file${docs().length === 1 ? '' : 's'}. Open one from the list.`}
        </Show>
      </p>
      <MembersPanel
        members={workspace.members.data()}
        invitations={workspace.invitations.data()}
        loading={workspace.members.loading()}
        loadError={workspace.members.error() ?? workspace.invitations.error()}
        isOwner={workspace.isOwner()}
        selfId={auth.user()?.id}
        onAdd={(email, role) => workspace.addMember(email, role)}
        onChangeRole={async (userId, role) => {
          await workspace.changeRole(userId, role)
          if (userId === auth.user()?.id) await workspace.workspace.reload()
        }}
        onRemove={async (userId) => {
          await workspace.removeMember(userId)
          if (userId === auth.user()?.id) navigate('/', { replace: true })
        }}
        onCancelInvitation={(email) => workspace.cancelInvitation(email)}
      />
      <Show when={workspace.isOwner()}>
        <section class="panel" aria-labelledby="settings-title">
          <h2 id="settings-title">Settings</h2>
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault()
              const value = (e.currentTarget.elements.namedItem('name') as HTMLInputElement).value
              if (value.trim()) void rename.run(value)
            }}
          >
            <label>Workspace name <input name="name" value={name()} required maxlength="200" /></label>
            <button type="submit" disabled={rename.pending()}>Rename</button>
          </form>
          <ErrorText message={rename.error()} prefix="Could not rename" />
          <div class="danger-zone">
            <Show when={confirmDelete()} fallback={
              <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>Delete workspace…</button>
            }>
              <p>Delete “{name()}” with all its files for everyone?</p>
              <div class="row-gap">
                <button type="button" class="danger" disabled={remove.pending()} onClick={() => void remove.run()}>Delete for everyone</button>
                <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>Cancel</button>
              </div>
            </Show>
            <ErrorText message={remove.error()} prefix="Could not delete" />
          </div>
        </section>
      </Show>
    </div>
  )
}
