import { createRoot } from 'solid-js'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../src/api'
import { createAuth } from '../src/stores/auth'
import { createDocuments } from '../src/stores/documents'
import { createHistory, CURRENT } from '../src/stores/history'
import { createVerification } from '../src/stores/verification'
import { createWorkspace, createWorkspaces } from '../src/stores/workspaces'
import type { Version, VersionKind } from '../src/types'
import { doc, fakeApi, memoryStorage } from './fakes'

/** Runs `fn` in a reactive root; the root is disposed after the test body. */
async function inRoot<T> (fn: () => T, body: (value: T) => Promise<void>) {
  let dispose!: () => void
  const value = createRoot((d) => { dispose = d; return fn() })
  try { await body(value) } finally { dispose() }
}

const user = { id: 'u1', email: 'ada@example.org', name: 'Ada' }

describe('createAuth', () => {
  it('asks the server who the cookie belongs to, signs up, and keeps no token', async () => {
    const agent = fakeApi()
    const storage = memoryStorage()
    agent.auth.session.mockResolvedValue({ user: null })
    agent.auth.signup.mockResolvedValue({ user, token: 'rnd_1' })
    const auth = createRoot(() => createAuth(agent, storage))
    await auth.check()
    expect(agent.auth.session).toHaveBeenCalledTimes(1)
    expect(auth.status()).toBe('signed-out')

    await auth.signup('ada@example.org', 'correct horse 1', 'Ada')
    expect(auth.status()).toBe('signed-in')
    expect(auth.user()?.name).toBe('Ada')
    expect(storage.length).toBe(0)
    expect('token' in auth).toBe(false)
  })

  it('is signed in on a fresh page that has only the session cookie', async () => {
    const agent = fakeApi()
    const storage = memoryStorage()
    agent.auth.session.mockResolvedValue({ user })
    const auth = createRoot(() => createAuth(agent, storage))
    await auth.check()
    expect(auth.status()).toBe('signed-in')
    expect(auth.user()?.email).toBe('ada@example.org')
  })

  it('forgets a token and hint that earlier versions kept in storage', () => {
    const storage = memoryStorage()
    storage.setItem('reynard.token', 'rnd_old')
    storage.setItem('reynard.signedIn', '1')
    storage.setItem('other.app', 'kept')
    createRoot(() => createAuth(fakeApi(), storage))
    expect(storage.getItem('reynard.token')).toBeNull()
    expect(storage.getItem('reynard.signedIn')).toBeNull()
    expect(storage.getItem('other.app')).toBe('kept')
  })

  it('reports an unreachable server in words', async () => {
    const agent = fakeApi()
    agent.auth.session.mockRejectedValue(new ApiError(0, 'network', 'The server cannot be reached.'))
    const auth = createRoot(() => createAuth(agent, memoryStorage()))
    await expect(auth.check()).rejects.toThrow()
    expect(auth.status()).toBe('signed-out')
    expect(auth.checkError()).toBe('The server cannot be reached.')
  })

  it('logs out even when the server call fails', async () => {
    const agent = fakeApi()
    agent.auth.login.mockResolvedValue({ user, token: 'rnd_2' })
    agent.auth.logout.mockRejectedValue(new ApiError(0, 'network', 'offline'))
    const auth = createRoot(() => createAuth(agent, memoryStorage()))
    await auth.login('ada@example.org', 'pw')
    expect(auth.status()).toBe('signed-in')
    await expect(auth.logout()).rejects.toThrow('offline')
    expect(auth.status()).toBe('signed-out')
  })
})

describe('createWorkspaces / createWorkspace', () => {
  it('lists and creates workspaces', async () => {
    const agent = fakeApi()
    agent.workspaces.list.mockResolvedValue([{ id: 'w1', name: 'One', role: 'owner' }])
    agent.workspaces.create.mockResolvedValue({ id: 'w2', name: 'Two', role: 'owner' })
    await inRoot(() => createWorkspaces(agent), async (store) => {
      await vi.waitFor(() => expect(store.list.data()).toHaveLength(1))
      await store.create('  Two ')
      expect(agent.workspaces.create).toHaveBeenCalledWith('Two')
      expect(store.list.data()?.map((w) => w.name)).toEqual(['One', 'Two'])
    })
  })

  it('shows a load error instead of throwing', async () => {
    const agent = fakeApi()
    agent.workspaces.list.mockRejectedValue(new ApiError(500, 'internal', 'The server had a problem.'))
    await inRoot(() => createWorkspaces(agent), async (store) => {
      await vi.waitFor(() => expect(store.list.error()).toBe('The server had a problem.'))
      expect(store.list.data()).toBeUndefined()
    })
  })

  it('manages members: added, invited, role changes, removal', async () => {
    const agent = fakeApi()
    agent.workspaces.get.mockResolvedValue({ id: 'w1', name: 'One', role: 'owner' })
    agent.members.list.mockResolvedValue([{ user_id: 'u1', email: 'a@x.org', name: 'Ada', role: 'owner' }])
    agent.members.invitations.mockResolvedValue([])
    agent.members.add
      .mockResolvedValueOnce({ status: 'added', user_id: 'u2', email: 'b@x.org', name: 'Bob', role: 'editor' })
      .mockResolvedValueOnce({ status: 'invited', email: 'c@x.org', role: 'viewer', invite_link: 'http://h/invite/inv_c' })
    agent.members.changeRole.mockResolvedValue(undefined as never)
    agent.members.remove.mockResolvedValue(undefined)
    await inRoot(() => createWorkspace(() => 'w1', agent), async (ws) => {
      await vi.waitFor(() => expect(ws.isOwner()).toBe(true))
      await vi.waitFor(() => expect(ws.invitations.data()).toEqual([]))
      expect(ws.canEdit()).toBe(true)
      await ws.addMember('b@x.org', 'editor')
      await ws.addMember('c@x.org', 'viewer')
      expect(ws.members.data()?.map((m) => m.name)).toEqual(['Ada', 'Bob'])
      expect(ws.invitations.data()).toEqual([{ email: 'c@x.org', role: 'viewer', invite_link: 'http://h/invite/inv_c' }])
      await ws.changeRole('u2', 'viewer')
      expect(ws.members.data()?.find((m) => m.user_id === 'u2')?.role).toBe('viewer')
      expect(ws.nameOf('u2')).toBe('Bob')
      await ws.removeMember('u2')
      expect(ws.members.data()?.map((m) => m.user_id)).toEqual(['u1'])
    })
  })

  it('does not ask for invitations unless owner', async () => {
    const agent = fakeApi()
    agent.workspaces.get.mockResolvedValue({ id: 'w1', name: 'One', role: 'viewer' })
    agent.members.list.mockResolvedValue([])
    await inRoot(() => createWorkspace(() => 'w1', agent), async (ws) => {
      await vi.waitFor(() => expect(ws.workspace.data()?.role).toBe('viewer'))
      expect(ws.canEdit()).toBe(false)
      expect(agent.members.invitations).not.toHaveBeenCalled()
    })
  })
})

describe('createVerification', () => {
  it('learns from GET /me whether the email is verified, and resends', async () => {
    const agent = fakeApi()
    agent.auth.me
      .mockResolvedValueOnce({ id: 'u1', email: 'a@x.org', name: 'Ada', email_verified: false })
      .mockResolvedValueOnce({ id: 'u1', email: 'a@x.org', name: 'Ada', email_verified: true })
    agent.auth.resendVerification.mockResolvedValue(undefined)
    const store = createRoot(() => createVerification(agent))
    expect(store.verified()).toBeNull()
    await store.refresh()
    expect(store.verified()).toBe(false)
    await store.resend()
    expect(agent.auth.resendVerification).toHaveBeenCalledTimes(1)
    await store.refresh()
    expect(store.verified()).toBe(true)
  })
})

describe('createDocuments', () => {
  it('creates, moves and deletes files and folders', async () => {
    const agent = fakeApi()
    let docs = [doc('1', 'src/main.rs'), doc('2', 'src/lib/a.rs'), doc('3', 'README.md')]
    agent.documents.list.mockImplementation(async () => docs)
    agent.documents.create.mockImplementation(async (_ws: string, path: string) => doc('4', path))
    agent.documents.move.mockImplementation(async (id: string, path: string) => {
      docs = docs.map((d) => (d.id === id ? { ...d, path } : d))
      return docs.find((d) => d.id === id)!
    })
    agent.documents.remove.mockImplementation(async (id: string) => { docs = docs.filter((d) => d.id !== id) })
    await inRoot(() => createDocuments(() => 'w1', agent), async (store) => {
      await vi.waitFor(() => expect(store.list.data()).toHaveLength(3))
      expect(store.tree().children.map((n) => n.name)).toEqual(['src', 'README.md'])

      await store.create(' /notes/todo.md ')
      expect(agent.documents.create).toHaveBeenCalledWith('w1', 'notes/todo.md')

      await store.moveFolder('src', 'crates/app/src')
      expect(agent.documents.move).toHaveBeenCalledTimes(2)
      expect(docs.map((d) => d.path).sort()).toEqual(['README.md', 'crates/app/src/lib/a.rs', 'crates/app/src/main.rs'])

      await store.removeFolder('crates')
      expect(docs.map((d) => d.path)).toEqual(['README.md'])
      await vi.waitFor(() => expect(store.list.data()?.map((d) => d.path)).toEqual(['README.md']))
    })
  })

  it('reloads the list when a folder move fails half way', async () => {
    const agent = fakeApi()
    agent.documents.list.mockResolvedValue([doc('1', 'a/x.md'), doc('2', 'a/y.md')])
    agent.documents.move
      .mockResolvedValueOnce(doc('1', 'b/x.md'))
      .mockRejectedValueOnce(new ApiError(409, 'conflict', 'b/y.md exists'))
    await inRoot(() => createDocuments(() => 'w1', agent), async (store) => {
      await vi.waitFor(() => expect(store.list.data()).toHaveLength(2))
      await expect(store.moveFolder('a', 'b')).rejects.toThrow('b/y.md exists')
      expect(agent.documents.list).toHaveBeenCalledTimes(2)
    })
  })
})

describe('createHistory', () => {
  const v = (id: string, name: string | null, kind: VersionKind = 'named'): Version =>
    ({ id, name, kind, created_at: 1700000000000, author_ids: ['u1'], summary: { added: 1, removed: 0 } })

  it('loads versions and branches, names, restores, branches and merges', async () => {
    const agent = fakeApi()
    agent.history.versions.mockResolvedValue([v('v1', 'first')])
    agent.history.branches.mockResolvedValue([])
    agent.history.createVersion.mockResolvedValue(v('v2', 'second'))
    agent.history.restore.mockResolvedValue({ version: v('v3', null, 'restore') })
    agent.history.createBranch.mockResolvedValue({ id: 'd2', path: 'a@x.md', branch_of: 'd1', forked_at: 'v1', unmerged: false })
    agent.history.merge.mockResolvedValue({ merged_updates: 3 })
    agent.history.versionContent.mockResolvedValue('old text')
    await inRoot(() => createHistory(() => 'd1', agent), async (h) => {
      await vi.waitFor(() => expect(h.versions.data()).toHaveLength(1))
      await h.nameCurrent(' second ')
      expect(agent.history.createVersion).toHaveBeenCalledWith('d1', 'second')
      await h.restore('v1')
      expect(agent.history.restore).toHaveBeenCalledWith('d1', 'v1')
      await h.createBranch('x', 'v1')
      expect(agent.history.createBranch).toHaveBeenCalledWith('d1', 'x', 'v1')
      await expect(h.merge('d2')).resolves.toBe(3)
      expect(agent.history.versions).toHaveBeenCalledTimes(4)
      expect(await h.content('v1')).toBe('old text')
      expect(await h.content('v1')).toBe('old text')
      expect(agent.history.versionContent).toHaveBeenCalledTimes(1)
      expect(CURRENT).toBe('current')
    })
  })

  it('keeps the API error in words', async () => {
    const agent = fakeApi()
    agent.history.versions.mockRejectedValue(new ApiError(404, 'no_route', 'no such endpoint'))
    agent.history.branches.mockRejectedValue(new ApiError(404, 'no_route', 'no such endpoint'))
    await inRoot(() => createHistory(() => 'd1', agent), async (h) => {
      await vi.waitFor(() => expect(h.versions.error()).toBe('no such endpoint'))
    })
  })

  it('loads nothing while no document is given', async () => {
    const agent = fakeApi()
    await inRoot(() => createHistory(() => null, agent), async (h) => {
      await Promise.resolve()
      expect(h.versions.loading()).toBe(false)
      expect(agent.history.versions).not.toHaveBeenCalled()
    })
  })
})
