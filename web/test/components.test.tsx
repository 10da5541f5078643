import { Router, Route } from '@solidjs/router'
import { fireEvent, render, screen, waitFor } from '@solidjs/testing-library'
import type { JSX } from 'solid-js'
import { describe, expect, it, vi } from 'vitest'
import { ConnectionStatus, connectionText } from '../src/components/ConnectionStatus'
import { FileTree } from '../src/components/FileTree'
import { HistoryPanel } from '../src/components/HistoryPanel'
import { MembersPanel } from '../src/components/MembersPanel'
import { PresenceList } from '../src/components/PresenceList'
import { buildTree } from '../src/lib/tree'
import { LoginView } from '../src/pages/AuthPages'
import { VerifyEmailView } from '../src/pages/VerifyEmailPage'
import type { Version } from '../src/types'
import { doc } from './fakes'

/** Renders inside a router (components use <A>). */
function withRouter (view: () => JSX.Element) {
  return render(() => <Router><Route path="*" component={view} /></Router>)
}

describe('PresenceList', () => {
  it('shows each person with initials, colour and idle state', () => {
    render(() => (
      <PresenceList people={[
        { userId: 'u1', name: 'Ada Lovelace', color: '#1c7ed6', idle: false, self: true, clientIds: [1] },
        { userId: 'u2', name: 'Bob', color: '#d6336c', idle: true, self: false, clientIds: [2] }
      ]} />
    ))
    const users = screen.getAllByTestId('presence-user')
    expect(users).toHaveLength(2)
    expect(users[0].textContent).toContain('AL')
    expect(users[0].textContent).toContain('(you)')
    expect(users[1].getAttribute('data-idle')).toBe('true')
    expect(users[1].textContent).toContain('idle')
    expect((users[1].querySelector('.avatar') as HTMLElement).style.backgroundColor).toBe('rgb(214, 51, 108)')
    expect(screen.getByTestId('presence-list').parentElement?.getAttribute('aria-label')).toBe('2 people in this document')
  })
})

describe('ConnectionStatus', () => {
  it('says what the connection is doing and what is pending', () => {
    expect(connectionText('connected', 0)).toBe('Connected')
    expect(connectionText('reconnecting', 3)).toBe('Reconnecting… — 3 offline edits pending')
    expect(connectionText('offline', 1)).toBe('Offline — 1 offline edit pending')
    expect(connectionText('closed', 0, 'document deleted')).toBe('Disconnected: document deleted')
    render(() => <ConnectionStatus state="offline" pending={2} />)
    const status = screen.getByTestId('connection-status')
    expect(status.getAttribute('data-state')).toBe('offline')
    expect(status.getAttribute('role')).toBe('status')
    expect(status.textContent).toContain('2 offline edits pending')
  })
})

describe('FileTree', () => {
  const handlers = () => ({
    onCreate: vi.fn(async () => {}),
    onMove: vi.fn(async () => {}),
    onRemove: vi.fn(async () => {}),
    onMoveFolder: vi.fn(async () => {}),
    onRemoveFolder: vi.fn(async () => {})
  })
  const tree = () => buildTree([doc('1', 'src/main.rs'), doc('2', 'README.md')])

  it('lists files and folders and creates a file from a typed path', async () => {
    const h = handlers()
    withRouter(() => <FileTree tree={tree()} workspaceId="w1" currentDocId="1" canEdit {...h} />)
    expect(screen.getByTestId('file-tree')).toBeTruthy()
    const link = screen.getByRole('link', { name: 'main.rs' })
    expect(link.getAttribute('href')).toBe('/w/w1/d/1')
    expect(link.getAttribute('aria-current')).toBe('page')
    fireEvent.click(screen.getByTestId('new-file'))
    const input = screen.getByLabelText('New file path') as HTMLInputElement
    expect(document.activeElement).toBe(input)
    fireEvent.input(input, { target: { value: ' docs/guide.md ' } })
    fireEvent.submit(input.form!)
    await waitFor(() => expect(h.onCreate).toHaveBeenCalledWith('docs/guide.md'))
  })

  it('shows the error of a failed action in words and keeps the form', async () => {
    const h = handlers()
    h.onMove.mockRejectedValue(new Error('a document with this path exists'))
    withRouter(() => <FileTree tree={tree()} workspaceId="w1" canEdit {...h} />)
    fireEvent.click(screen.getByRole('button', { name: 'Rename or move README.md' }))
    const input = screen.getByLabelText('New path of README.md') as HTMLInputElement
    fireEvent.input(input, { target: { value: 'src/main.rs' } })
    fireEvent.submit(input.form!)
    expect((await screen.findByRole('alert')).textContent).toContain('a document with this path exists')
    expect(screen.getByLabelText('New path of README.md')).toBeTruthy()
    // Escape cancels.
    fireEvent.keyDown(screen.getByLabelText('New path of README.md'), { key: 'Escape' })
    expect(screen.queryByLabelText('New path of README.md')).toBeNull()
  })

  it('renames a folder and asks before deleting one', async () => {
    const h = handlers()
    withRouter(() => <FileTree tree={tree()} workspaceId="w1" canEdit {...h} />)
    fireEvent.click(screen.getByRole('button', { name: 'Rename or move folder src' }))
    const input = screen.getByLabelText('New path of folder src') as HTMLInputElement
    fireEvent.input(input, { target: { value: 'crates/app/src' } })
    fireEvent.submit(input.form!)
    await waitFor(() => expect(h.onMoveFolder).toHaveBeenCalledWith('src', 'crates/app/src'))
    await waitFor(() => expect(screen.queryByLabelText('New path of folder src')).toBeNull())
    fireEvent.click(screen.getByRole('button', { name: 'Delete folder src' }))
    expect(h.onRemoveFolder).not.toHaveBeenCalled()
    fireEvent.click(screen.getByRole('button', { name: 'Delete folder' }))
    await waitFor(() => expect(h.onRemoveFolder).toHaveBeenCalledWith('src'))
  })

  it('offers no changes to viewers', () => {
    withRouter(() => <FileTree tree={tree()} workspaceId="w1" canEdit={false} {...handlers()} />)
    expect(screen.queryByTestId('new-file')).toBeNull()
    expect(screen.queryByRole('button', { name: /Delete/ })).toBeNull()
  })
})

describe('HistoryPanel', () => {
  const versions: Version[] = [
    { id: 'v2', name: null, kind: 'auto', created_at: Date.now() - 60_000, author_ids: ['u2'], summary: { added: 4, removed: 1 } },
    { id: 'v1', name: 'first draft', kind: 'named', created_at: Date.now() - 3_600_000, author_ids: ['u1'], summary: { added: 10, removed: 0 } }
  ]
  const props = () => ({
    workspaceId: 'w1',
    versions,
    versionsLoading: false,
    versionsError: null,
    branches: [{ id: 'd9', path: 'a@exp.md', branch_of: 'd1', forked_at: 'v1', unmerged: true }],
    branchesError: null,
    canEdit: true,
    nameOf: (id: string) => ({ u1: 'Ada', u2: 'Bob' } as Record<string, string>)[id] ?? id,
    onRefresh: vi.fn(),
    onView: vi.fn(),
    onCompare: vi.fn(),
    onRestore: vi.fn(async () => {}),
    onNameCurrent: vi.fn(async () => {}),
    onCreateBranch: vi.fn(async () => ({ id: 'd10', path: 'a@b.md', branch_of: 'd1', forked_at: null })),
    onMerge: vi.fn(async () => 2),
    onMergeBack: vi.fn(async () => 1),
    onClose: vi.fn()
  })

  it('lists versions with authors and changes, and restores one', async () => {
    const p = props()
    withRouter(() => <HistoryPanel {...p} />)
    const items = screen.getAllByTestId('version-item')
    expect(items).toHaveLength(2)
    expect(items[0].textContent).toContain('Automatic checkpoint')
    expect(items[0].textContent).toContain('Bob')
    expect(items[0].textContent).toContain('+4')
    expect(items[1].textContent).toContain('first draft')
    fireEvent.click(screen.getAllByTestId('restore-version')[1])
    await waitFor(() => expect(p.onRestore).toHaveBeenCalledWith(versions[1]))
    expect((await screen.findByRole('status')).textContent).toContain('Restored “first draft”')
    fireEvent.click(screen.getByRole('button', { name: 'Compare first draft with now' }))
    expect(p.onCompare).toHaveBeenCalledWith('v1', 'current')
  })

  it('creates a branch and merges one back', async () => {
    const p = props()
    withRouter(() => <HistoryPanel {...p} />)
    const name = screen.getByTestId('branch-name') as HTMLInputElement
    fireEvent.input(name, { target: { value: 'try-this' } })
    fireEvent.click(screen.getByTestId('create-branch'))
    await waitFor(() => expect(p.onCreateBranch).toHaveBeenCalledWith('try-this', undefined))
    expect(await screen.findByRole('link', { name: 'Open a@b.md' })).toBeTruthy()
    expect(screen.getByTestId('branch-item').textContent).toContain('unmerged changes')
    await waitFor(() => expect((screen.getByTestId('merge-branch') as HTMLButtonElement).disabled).toBe(false))
    fireEvent.click(screen.getByTestId('merge-branch'))
    await waitFor(() => expect(p.onMerge).toHaveBeenCalledWith('d9'))
  })

  it('says in words when the history cannot be loaded', () => {
    withRouter(() => <HistoryPanel {...props()} versions={undefined} versionsError="no such endpoint" />)
    expect(screen.getByRole('alert').textContent).toBe('Version history is unavailable: no such endpoint')
  })

  it('offers no changes to viewers', () => {
    withRouter(() => <HistoryPanel {...props()} canEdit={false} />)
    expect(screen.queryByTestId('restore-version')).toBeNull()
    expect(screen.queryByTestId('create-branch')).toBeNull()
    expect(screen.queryByTestId('merge-branch')).toBeNull()
  })
})

describe('LoginView', () => {
  it('submits email and password and shows the error', () => {
    const onSubmit = vi.fn()
    withRouter(() => <LoginView onSubmit={onSubmit} pending={false} error="wrong email or password" next="/w/1" />)
    fireEvent.input(screen.getByLabelText('Email'), { target: { value: 'ada@example.org' } })
    fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'correct horse 1' } })
    fireEvent.submit(screen.getByRole('button', { name: 'Sign in' }).closest('form')!)
    expect(onSubmit).toHaveBeenCalledWith('ada@example.org', 'correct horse 1')
    expect(screen.getByRole('alert').textContent).toContain('wrong email or password')
    expect(screen.getByRole('link', { name: 'Create one' }).getAttribute('href')).toBe('/signup?next=%2Fw%2F1')
  })
})

describe('MembersPanel invitations', () => {
  const panel = () => (
    <MembersPanel
      members={[{ user_id: 'u1', email: 'a@x.org', name: 'Ada', role: 'owner' }]}
      invitations={[{ email: 'b@x.org', role: 'editor', invite_link: 'http://h/invite/inv_b' }]}
      loading={false} loadError={null} isOwner selfId="u1"
      onAdd={vi.fn()} onChangeRole={vi.fn()} onRemove={vi.fn()} onCancelInvitation={vi.fn()}
    />
  )

  it('shows each invitation\'s link and copies it', async () => {
    const writeText = vi.fn(() => Promise.resolve())
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    render(panel)
    const field = screen.getByLabelText('Invite link for b@x.org') as HTMLInputElement
    expect(field.value).toBe('http://h/invite/inv_b')
    expect(field.readOnly).toBe(true)
    fireEvent.click(screen.getByRole('button', { name: 'Copy the invite link for b@x.org' }))
    await screen.findByText('Copied.')
    expect(writeText).toHaveBeenCalledWith('http://h/invite/inv_b')
  })

  it('selects the link when the clipboard refuses', async () => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('denied')) }, configurable: true })
    render(panel)
    fireEvent.click(screen.getByRole('button', { name: 'Copy the invite link for b@x.org' }))
    await screen.findByText(/Ctrl\+C/)
  })
})

describe('VerifyEmailView', () => {
  it('says what the link did, or why it did not', () => {
    const ok = withRouter(() => <VerifyEmailView loading={false} error={null} result={{ email: 'a@x.org', email_verified: true, joined: ['w1', 'w2'] }} />)
    expect(screen.getByText('a@x.org is verified.')).toBeTruthy()
    expect(screen.getByText('You joined 2 workspaces you were invited to.')).toBeTruthy()
    ok.unmount()
    withRouter(() => <VerifyEmailView loading={false} error="this verification link has expired" result={undefined} />)
    expect(screen.getByRole('alert').textContent).toContain('expired')
  })
})
