// `/`: the signed-in person's workspaces, and a form to create one.

import { A, useNavigate } from '@solidjs/router'
import { For, Show } from 'solid-js'
import { ErrorText, Loading } from '../components/Feedback'
import { createAction } from '../stores/action'
import { createWorkspaces } from '../stores/workspaces'
import type { Workspace } from '../types'

export function WorkspacesPage () {
  const store = createWorkspaces()
  const navigate = useNavigate()
  const create = createAction(async (name: string) => {
    const ws = await store.create(name)
    navigate(`/w/${ws.id}`)
  })
  return (
    <WorkspacesView
      workspaces={store.list.data()}
      loading={store.list.loading()}
      loadError={store.list.error()}
      onRetry={() => { void store.list.reload() }}
      onCreate={(name) => { void create.run(name) }}
      creating={create.pending()}
      createError={create.error()}
    />
  )
}

export function WorkspacesView (props: {
  workspaces: Workspace[] | undefined
  loading: boolean
  loadError: string | null
  onRetry: () => void
  onCreate: (name: string) => void
  creating: boolean
  createError: string | null
}) {
  return (
    <div class="page narrow">
      <h1>Your workspaces</h1>
      <Show when={props.loadError}>
        <ErrorText message={props.loadError} prefix="Could not load your workspaces" />
        <button type="button" class="secondary" onClick={() => props.onRetry()}>Try again</button>
      </Show>
      <Show when={props.loading && !props.workspaces}><Loading what="workspaces" /></Show>
      <Show when={props.workspaces}>
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="muted">No workspaces yet. Create one to start writing with your team.</p>}>
            <ul class="card-list" data-testid="workspace-list">
              <For each={list()}>
                {(ws) => (
                  <li>
                    <A href={`/w/${ws.id}`} class="card-link">
                      <span class="card-title">{ws.name}</span>
                      <span class={`role role-${ws.role}`}>{ws.role}</span>
                    </A>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
      <section aria-labelledby="new-ws-title" class="panel">
        <h2 id="new-ws-title">New workspace</h2>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault()
            const input = e.currentTarget.elements.namedItem('name') as HTMLInputElement
            if (input.value.trim()) props.onCreate(input.value)
          }}
        >
          <label>Name <input name="name" required maxlength="200" placeholder="Compilers team" /></label>
          <button type="submit" disabled={props.creating}>{props.creating ? 'Creating…' : 'Create workspace'}</button>
        </form>
        <ErrorText message={props.createError} prefix="Could not create the workspace" />
      </section>
    </div>
  )
}
