// The signed-in person's workspaces, and one workspace with its members.

import { type Accessor } from 'solid-js'
import { api as defaultApi, type Api } from '../api'
import type { AddMemberResult, Invitation, Member, Role, Workspace } from '../types'
import { createLoader, type Loader } from './loader'

export interface WorkspacesStore {
  list: Loader<Workspace[]>
  create: (name: string) => Promise<Workspace>
}

export function createWorkspaces (agent: Api = defaultApi): WorkspacesStore {
  const list = createLoader(() => true, () => agent.workspaces.list())
  return {
    list,
    create: async (name) => {
      const ws = await agent.workspaces.create(name.trim())
      list.mutate((prev) => [...(prev ?? []), ws])
      return ws
    }
  }
}

export interface WorkspaceStore {
  id: Accessor<string>
  workspace: Loader<Workspace>
  members: Loader<Member[]>
  invitations: Loader<Invitation[]>
  /** Whether the signed-in person may manage members (owners). */
  isOwner: Accessor<boolean>
  /** Whether the signed-in person may change documents (owners and editors). */
  canEdit: Accessor<boolean>
  rename: (name: string) => Promise<void>
  remove: () => Promise<void>
  addMember: (email: string, role: Role) => Promise<AddMemberResult>
  changeRole: (userId: string, role: Role) => Promise<void>
  removeMember: (userId: string) => Promise<void>
  cancelInvitation: (email: string) => Promise<void>
  /** A member's name by user id (for version authors); a short id when unknown. */
  nameOf: (userId: string) => string
}

export function createWorkspace (id: Accessor<string>, agent: Api = defaultApi): WorkspaceStore {
  const workspace = createLoader(id, (wsId) => agent.workspaces.get(wsId))
  const members = createLoader(id, (wsId) => agent.members.list(wsId))
  const isOwner = () => workspace.data()?.role === 'owner'
  const canEdit = () => {
    const role = workspace.data()?.role
    return role === 'owner' || role === 'editor'
  }
  // Only owners may list invitations.
  const invitations = createLoader(() => (isOwner() ? id() : false), (wsId) => agent.members.invitations(wsId))
  return {
    id,
    workspace,
    members,
    invitations,
    isOwner,
    canEdit,
    rename: async (name) => {
      const updated = await agent.workspaces.rename(id(), name.trim())
      workspace.mutate(() => updated ?? { ...workspace.data()!, name: name.trim() })
    },
    remove: () => agent.workspaces.remove(id()),
    addMember: async (email, role) => {
      const result = await agent.members.add(id(), email.trim(), role)
      if (result.status === 'added') {
        const { status: _status, ...member } = result
        members.mutate((prev) => [...(prev ?? []).filter((m) => m.user_id !== member.user_id), member])
      } else {
        const { status: _status, ...invitation } = result
        invitations.mutate((prev) => [...(prev ?? []).filter((i) => i.email !== invitation.email), invitation])
      }
      return result
    },
    changeRole: async (userId, role) => {
      await agent.members.changeRole(id(), userId, role)
      members.mutate((prev) => (prev ?? []).map((m) => (m.user_id === userId ? { ...m, role } : m)))
    },
    removeMember: async (userId) => {
      await agent.members.remove(id(), userId)
      members.mutate((prev) => (prev ?? []).filter((m) => m.user_id !== userId))
    },
    cancelInvitation: async (email) => {
      await agent.members.cancelInvitation(id(), email)
      invitations.mutate((prev) => (prev ?? []).filter((i) => i.email !== email))
    },
    nameOf: (userId) => members.data()?.find((m) => m.user_id === userId)?.name ?? userId.slice(0, 8)
  }
}
