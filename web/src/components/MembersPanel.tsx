// Members of a workspace and their roles. Owners add people (an email without
// a verified account becomes an invitation with a link to hand over), change
// roles and remove members; anyone may leave.

import { For, Show, createSignal } from 'solid-js'
import { createAction } from '../stores/action'
import type { AddMemberResult, Invitation, Member, Role } from '../types'
import { colorFor, initials } from '../lib/colors'
import { ErrorText, Loading, Notice } from './Feedback'

const ROLES: Role[] = ['owner', 'editor', 'viewer']
const ROLE_WORDS: Record<Role, string> = {
  owner: 'manages members and edits',
  editor: 'edits documents',
  viewer: 'reads only'
}

export interface MembersPanelProps {
  members: Member[] | undefined
  invitations: Invitation[] | undefined
  loading: boolean
  loadError: string | null
  isOwner: boolean
  selfId: string | undefined
  onAdd: (email: string, role: Role) => Promise<AddMemberResult>
  onChangeRole: (userId: string, role: Role) => Promise<void>
  onRemove: (userId: string) => Promise<void>
  onCancelInvitation: (email: string) => Promise<void>
}

export function MembersPanel (props: MembersPanelProps) {
  const [notice, setNotice] = createSignal<string | null>(null)
  const action = createAction(async (work: () => Promise<string | null>) => {
    setNotice(null)
    setNotice(await work())
  })
  const run = (work: () => Promise<string | null>) => { void action.run(work) }

  return (
    <section class="panel" aria-labelledby="members-title" data-testid="members-panel">
      <h2 id="members-title">Members</h2>
      <ErrorText message={props.loadError} prefix="Could not load the members" />
      <Show when={props.loading && !props.members}><Loading what="members" /></Show>
      <ul class="member-list">
        <For each={props.members ?? []}>
          {(member) => (
            <li class="member" data-testid="member">
              <span class="avatar" style={{ 'background-color': colorFor(member.user_id) }} aria-hidden="true">{initials(member.name)}</span>
              <span class="member-who">
                <span class="member-name">{member.name}{member.user_id === props.selfId ? ' (you)' : ''}</span>
                <span class="muted small-text">{member.email}</span>
              </span>
              <Show when={props.isOwner} fallback={<span class={`role role-${member.role}`}>{member.role}</span>}>
                <select
                  aria-label={`Role of ${member.name}`}
                  value={member.role}
                  disabled={action.pending()}
                  onChange={(e) => {
                    const role = e.currentTarget.value as Role
                    const select = e.currentTarget
                    run(async () => {
                      try {
                        await props.onChangeRole(member.user_id, role)
                      } catch (err) {
                        select.value = member.role
                        throw err
                      }
                      return `${member.name} is now ${role === 'owner' ? 'an' : 'a'} ${role}.`
                    })
                  }}
                >
                  <For each={ROLES}>{(role) => <option value={role}>{role}</option>}</For>
                </select>
              </Show>
              <Show when={props.isOwner || member.user_id === props.selfId}>
                <button type="button" class="secondary small" disabled={action.pending()}
                  aria-label={member.user_id === props.selfId ? 'Leave this workspace' : `Remove ${member.name}`}
                  onClick={() => run(async () => {
                    await props.onRemove(member.user_id)
                    return member.user_id === props.selfId ? 'You left the workspace.' : `${member.name} was removed.`
                  })}
                >{member.user_id === props.selfId ? 'Leave' : 'Remove'}</button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={props.isOwner && (props.invitations?.length ?? 0) > 0}>
        <h3>Invitations</h3>
        <ul class="member-list">
          <For each={props.invitations}>
            {(inv) => (
              <li class="member">
                <span class="avatar muted-avatar" aria-hidden="true">@</span>
                <span class="member-who">
                  <span>{inv.email}</span>
                  <span class="muted small-text">invited as {inv.role}: joins by opening this link signed in, or by verifying this email</span>
                  <InviteLink email={inv.email} link={inv.invite_link} />
                </span>
                <button type="button" class="secondary small" disabled={action.pending()} aria-label={`Cancel the invitation of ${inv.email}`}
                  onClick={() => run(async () => { await props.onCancelInvitation(inv.email); return `Invitation of ${inv.email} cancelled.` })}
                >Cancel</button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={props.isOwner}>
        <form
          class="inline-form"
          aria-label="Add a member"
          onSubmit={(e) => {
            e.preventDefault()
            const form = e.currentTarget
            const email = (form.elements.namedItem('email') as HTMLInputElement).value
            const role = (form.elements.namedItem('role') as HTMLSelectElement).value as Role
            run(async () => {
              const result = await props.onAdd(email, role)
              form.reset()
              return result.status === 'added'
                ? `${result.name} was added as ${role}.`
                : `${result.email} was invited as ${role}: send them the invite link below.`
            })
          }}
        >
          <label>Email <input name="email" type="email" required autocomplete="off" data-testid="member-email" /></label>
          <label>Role
            <select name="role" data-testid="member-role">
              <For each={ROLES}>{(role) => <option value={role} selected={role === 'editor'}>{role} — {ROLE_WORDS[role]}</option>}</For>
            </select>
          </label>
          <button type="submit" disabled={action.pending()} data-testid="add-member">Add member</button>
        </form>
      </Show>
      <ErrorText message={action.error()} onDismiss={action.clearError} />
      <Show when={notice()}><Notice>{notice()}</Notice></Show>
    </section>
  )
}

/** An invitation's link, selectable, with a button that copies it. */
function InviteLink (props: { email: string, link: string }) {
  const [copied, setCopied] = createSignal<string | null>(null)
  let input!: HTMLInputElement
  const copy = async () => {
    input.select()
    try {
      await navigator.clipboard.writeText(props.link)
      setCopied('Copied.')
    } catch {
      // No clipboard access (permissions, an insecure origin): the link is selected.
      setCopied('Press Ctrl+C (⌘C) to copy the selected link.')
    }
  }
  return (
    <span class="invite-link">
      <input ref={input} readonly value={props.link} aria-label={`Invite link for ${props.email}`}
        data-testid="invite-link" onFocus={(e) => e.currentTarget.select()} />
      <button type="button" class="secondary small" data-testid="copy-invite-link"
        aria-label={`Copy the invite link for ${props.email}`} onClick={() => { void copy() }}>Copy</button>
      <Show when={copied()}><span class="muted small-text" role="status">{copied()}</span></Show>
    </span>
  )
}
