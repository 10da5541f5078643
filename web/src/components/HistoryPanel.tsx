// Version history of a document: name the present, list versions, view one,
// compare (a version with now, or two versions), restore, fork a branch, open
// it, and merge a branch back.

import { A } from '@solidjs/router'
import { For, Show, createSignal } from 'solid-js'
import { createAction } from '../stores/action'
import { CURRENT } from '../stores/history'
import { fullTime, isoTime, timeAgo } from '../lib/time'
import type { Branch, Version } from '../types'
import { ErrorText, Loading, Notice } from './Feedback'
import { CloseIcon } from './Icons'

export interface HistoryPanelProps {
  workspaceId: string
  versions: Version[] | undefined
  versionsLoading: boolean
  versionsError: string | null
  branches: Branch[] | undefined
  branchesError: string | null
  canEdit: boolean
  /** Set when the open document is itself a branch. */
  branchOf?: { id: string, path?: string } | null
  nameOf: (userId: string) => string
  onRefresh: () => void
  onView: (version: Version) => void
  onCompare: (from: string, to: string) => void
  onRestore: (version: Version) => Promise<void>
  onNameCurrent: (name: string) => Promise<unknown>
  onCreateBranch: (name: string, fromVersion?: string) => Promise<Branch>
  /** Merges `branchId` into the document it was forked from; resolves to the number of updates merged. */
  onMerge: (branchId: string) => Promise<number>
  /** Merges the open document (a branch) back into its original. */
  onMergeBack: () => Promise<number>
  onClose: () => void
}

const KIND_WORDS: Record<string, string> = {
  named: 'Named version',
  auto: 'Automatic checkpoint',
  restore: 'Restored',
  merge: 'Merge'
}

const KIND_BADGE: Record<string, string> = {
  auto: 'checkpoint',
  restore: 'restore',
  merge: 'merge'
}

export function versionTitle (v: Version): string {
  return v.name?.trim() || KIND_WORDS[v.kind] || 'Version'
}

export function HistoryPanel (props: HistoryPanelProps) {
  const [notice, setNotice] = createSignal<string | null>(null)
  const [createdBranch, setCreatedBranch] = createSignal<Branch | null>(null)
  const [branchFrom, setBranchFrom] = createSignal<string>('')
  const [compareFrom, setCompareFrom] = createSignal<string>('')
  const [compareTo, setCompareTo] = createSignal<string>(CURRENT)
  const action = createAction(async (work: () => Promise<string | null>) => {
    setNotice(null)
    setNotice(await work())
  })
  const run = (work: () => Promise<string | null>) => { void action.run(work) }
  let branchName!: HTMLInputElement
  const forkedFrom = (versionId: string) => {
    const v = props.versions?.find((x) => x.id === versionId)
    return v ? `“${versionTitle(v)}”` : 'an earlier version'
  }

  return (
    <aside class="history-panel" aria-labelledby="history-title" data-testid="history-panel">
      <div class="panel-head">
        <h2 id="history-title">History</h2>
        <div class="row-gap">
          <button type="button" class="secondary small" onClick={() => props.onRefresh()} aria-label="Refresh the history">Refresh</button>
          <button type="button" class="icon" onClick={() => props.onClose()} aria-label="Close the history"><CloseIcon /></button>
        </div>
      </div>

      <Show when={props.branchOf}>
        {(parent) => (
          <div class="branch-banner">
            <p>This document is a branch{parent().path ? ` of ${parent().path}` : ''}.</p>
            <div class="row-gap">
              <A href={`/w/${props.workspaceId}/d/${parent().id}`}>Open the original</A>
              <Show when={props.canEdit}>
                <button type="button" class="small" data-testid="merge-branch" disabled={action.pending()}
                  onClick={() => run(async () => {
                    const n = await props.onMergeBack()
                    return `Merged this branch back (${n} update${n === 1 ? '' : 's'}).`
                  })}>Merge back</button>
              </Show>
            </div>
          </div>
        )}
      </Show>

      <Show when={props.canEdit}>
        <form
          class="stack compact"
          aria-label="Name the current version"
          onSubmit={(e) => {
            e.preventDefault()
            const form = e.currentTarget
            const input = form.elements.namedItem('name') as HTMLInputElement
            const name = input.value.trim()
            if (!name) return
            run(async () => {
              await props.onNameCurrent(name)
              form.reset()
              return `Saved the current state as “${name}”.`
            })
          }}
        >
          <label>Name the current version
            <span class="inline-form tight">
              <input name="name" required maxlength="200" placeholder="Draft for review" data-testid="version-name" />
              <button type="submit" class="small" disabled={action.pending()} data-testid="name-version">Save</button>
            </span>
          </label>
        </form>
      </Show>

      <ErrorText message={action.error()} onDismiss={action.clearError} />
      <Show when={notice()}><Notice>{notice()}</Notice></Show>

      <h3>Versions</h3>
      <ErrorText message={props.versionsError} prefix="Version history is unavailable" />
      <Show when={props.versionsLoading && !props.versions}><Loading what="versions" /></Show>
      <Show when={props.versions}>
        {(versions) => (
          <Show when={versions().length > 0} fallback={<p class="muted small-text">No versions yet.</p>}>
            <ol class="version-list">
              <For each={versions()}>
                {(v) => (
                  <li class="version-item" data-testid="version-item" data-version-id={v.id} data-kind={v.kind}>
                    <div class="version-head">
                      <span class="version-name">{versionTitle(v)}</span>
                      <Show when={v.kind !== 'named'}><span class={`badge kind kind-${v.kind}`}>{KIND_BADGE[v.kind] ?? v.kind}</span></Show>
                    </div>
                    <div class="muted small-text">
                      <time datetime={isoTime(v.created_at)} title={fullTime(v.created_at)}>{timeAgo(v.created_at)}</time>
                      <Show when={v.author_ids.length > 0}> · {v.author_ids.map(props.nameOf).join(', ')}</Show>
                      <Show when={v.summary}>
                        {(s) => <> · <span class="added" title="characters added">+{s().added}</span> <span class="removed" title="characters removed">−{s().removed}</span></>}
                      </Show>
                    </div>
                    <div class="version-actions">
                      <button type="button" class="link" onClick={() => props.onView(v)} aria-label={`View ${versionTitle(v)}`}>View</button>
                      <button type="button" class="link" onClick={() => props.onCompare(v.id, CURRENT)} aria-label={`Compare ${versionTitle(v)} with now`}>Compare with now</button>
                      <Show when={props.canEdit}>
                        <button type="button" class="link" data-testid="restore-version" disabled={action.pending()}
                          aria-label={`Restore ${versionTitle(v)}`}
                          onClick={() => run(async () => {
                            await props.onRestore(v)
                            return `Restored “${versionTitle(v)}”. The state before it is kept in the history.`
                          })}>Restore</button>
                        <button type="button" class="link" aria-label={`Branch from ${versionTitle(v)}`}
                          onClick={() => { setBranchFrom(v.id); branchName.focus() }}>Branch from here</button>
                      </Show>
                    </div>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        )}
      </Show>

      <Show when={(props.versions?.length ?? 0) > 0}>
        <form
          class="stack compact"
          aria-label="Compare versions"
          onSubmit={(e) => {
            e.preventDefault()
            const from = compareFrom() || props.versions?.[0]?.id
            if (from) props.onCompare(from, compareTo())
          }}
        >
          <h3>Compare</h3>
          <div class="inline-form tight wrap">
            <label>From
              <select value={compareFrom() || props.versions?.[0]?.id || ''} onChange={(e) => setCompareFrom(e.currentTarget.value)} data-testid="compare-from">
                <For each={props.versions}>{(v) => <option value={v.id}>{versionTitle(v)} · {timeAgo(v.created_at)}</option>}</For>
              </select>
            </label>
            <label>To
              <select value={compareTo()} onChange={(e) => setCompareTo(e.currentTarget.value)} data-testid="compare-to">
                <option value={CURRENT}>Now (live document)</option>
                <For each={props.versions}>{(v) => <option value={v.id}>{versionTitle(v)} · {timeAgo(v.created_at)}</option>}</For>
              </select>
            </label>
            <button type="submit" class="small secondary" data-testid="compare">Show changes</button>
          </div>
        </form>
      </Show>

      <h3>Branches</h3>
      <Show when={props.canEdit}>
        <form
          class="stack compact"
          aria-label="Create a branch"
          onSubmit={(e) => {
            e.preventDefault()
            const name = branchName.value.trim()
            if (!name) return
            const from = branchFrom() || undefined
            run(async () => {
              const branch = await props.onCreateBranch(name, from)
              branchName.value = ''
              setBranchFrom('')
              setCreatedBranch(branch)
              return `Created the branch ${branch.path}.`
            })
          }}
        >
          <label>Branch name
            <input ref={branchName} name="branch" required maxlength="64" placeholder="experiment" data-testid="branch-name"
              pattern="[A-Za-z0-9_\-][A-Za-z0-9._\-]*" aria-describedby="branch-name-hint" spellcheck={false} autocomplete="off" />
          </label>
          <p id="branch-name-hint" class="hint">Letters, digits, “-”, “_” and “.”; the branch is a new file beside this one.</p>
          <label>From
            <select value={branchFrom()} onChange={(e) => setBranchFrom(e.currentTarget.value)} data-testid="branch-from">
              <option value="">The current state</option>
              <For each={props.versions ?? []}>{(v) => <option value={v.id}>{versionTitle(v)} · {timeAgo(v.created_at)}</option>}</For>
            </select>
          </label>
          <button type="submit" class="small" data-testid="create-branch" disabled={action.pending()}>Create branch</button>
        </form>
      </Show>
      <Show when={createdBranch()}>
        {(b) => <p class="small-text"><A href={`/w/${props.workspaceId}/d/${b().id}`}>Open {b().path}</A></p>}
      </Show>
      <ErrorText message={props.branchesError} prefix="Branches are unavailable" />
      <Show when={props.branches}>
        {(branches) => (
          <Show when={branches().length > 0} fallback={<p class="muted small-text">No branches.</p>}>
            <ul class="branch-list">
              <For each={branches()}>
                {(b) => (
                  <li class="branch-item" data-testid="branch-item">
                    <span class="branch-path">{b.path}</span>
                    <span class="muted small-text">
                      {' · '}{b.forked_at ? `from ${forkedFrom(b.forked_at)}` : 'from the state when it was made'}
                      <Show when={b.unmerged}>{' · '}<span class="unmerged">unmerged changes</span></Show>
                    </span>
                    <div class="version-actions">
                      <A href={`/w/${props.workspaceId}/d/${b.id}`} class="link">Open</A>
                      <Show when={props.canEdit}>
                        <button type="button" class="link" data-testid="merge-branch" disabled={action.pending()}
                          aria-label={`Merge ${b.path} into this document`}
                          onClick={() => run(async () => {
                            const n = await props.onMerge(b.id)
                            return `Merged ${b.path} into this document (${n} update${n === 1 ? '' : 's'}).`
                          })}>Merge into this document</button>
                      </Show>
                    </div>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
    </aside>
  )
}
