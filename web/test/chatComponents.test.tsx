import { Route, Router } from '@solidjs/router'
import { fireEvent, render, screen, waitFor } from '@solidjs/testing-library'
import { createSignal, type JSX } from 'solid-js'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../src/api'
import { ChatPanel, sendErrorText, type ChatPanelProps } from '../src/components/ChatPanel'
import { OnlineList } from '../src/components/OnlineList'
import { RoomList, type RoomListProps } from '../src/components/RoomList'
import type { RoomHistory } from '../src/stores/chat'
import { chatMessage as msg, room } from './fakes'

function withRouter (view: () => JSX.Element) {
  return render(() => <Router><Route path="*" component={view} /></Router>)
}

const team = [
  { id: 'u1', name: 'Ada', email: 'ada@example.org' },
  { id: 'u2', name: 'Bob', email: 'bob@example.org' }
]

function history (over: Partial<RoomHistory> = {}): RoomHistory {
  return { messages: [], complete: true, loaded: true, loading: false, loadingOlder: false, error: null, ...over }
}

function panel (over: Partial<ChatPanelProps> = {}) {
  const props: ChatPanelProps = {
    room: room('r1', 'general', { is_default: true }),
    history: history(),
    selfId: 'u1',
    isOwner: false,
    members: team,
    typing: [],
    onLoadOlder: vi.fn(),
    onRetry: vi.fn(),
    onSend: vi.fn(async () => {}),
    onEdit: vi.fn(async () => {}),
    onDelete: vi.fn(async () => {}),
    onInput: vi.fn(),
    ...over
  }
  render(() => <ChatPanel {...props} />)
  return props
}

describe('ChatPanel', () => {
  it('shows each message with its author, time and edited marker, as text', () => {
    panel({
      history: history({
        messages: [
          msg(1, { text: '<script>window.__pwned=1</script> hello **bold** [x](javascript:alert(1))' }),
          msg(2, { author_id: 'u2', author_name: 'Bob', text: 'hi @Ada', mentions: ['u1'], edited_at: 1_700_000_005_000 })
        ]
      })
    })
    const items = screen.getAllByTestId('chat-message')
    expect(items).toHaveLength(2)
    expect(items[0].textContent).toContain('Ada')
    expect(items[0].textContent).toContain('<script>window.__pwned=1</script> hello')
    expect(items[0].querySelector('script')).toBeNull()
    expect(items[0].querySelector('strong')?.textContent).toBe('bold')
    expect(items[0].querySelector('a')).toBeNull()
    expect(items[0].querySelector('time')?.getAttribute('datetime')).toBe(new Date(1_700_000_001_000).toISOString())
    expect(items[1].textContent).toContain('(edited)')
    // a mention of me stands out
    expect(items[1].classList.contains('mentions-me')).toBe(true)
    expect(items[1].querySelector('.mention-self')?.textContent).toBe('@Ada')
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined()
  })

  it('sends with Enter, keeps a new line with Shift+Enter, and tells who types', async () => {
    const props = panel()
    const input = screen.getByTestId('chat-input') as HTMLTextAreaElement
    fireEvent.input(input, { target: { value: 'line one' } })
    expect(props.onInput).toHaveBeenLastCalledWith('line one')
    fireEvent.keyDown(input, { key: 'Enter', shiftKey: true })
    expect(props.onSend).not.toHaveBeenCalled()
    fireEvent.input(input, { target: { value: 'line one\nline two  ' } })
    fireEvent.keyDown(input, { key: 'Enter' })
    await waitFor(() => expect(props.onSend).toHaveBeenCalledWith('line one\nline two'))
    await waitFor(() => expect(input.value).toBe(''))
    // nothing to send: nothing sent
    fireEvent.input(input, { target: { value: '   ' } })
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(props.onSend).toHaveBeenCalledTimes(1)
  })

  it('shows the server\'s words when a send fails, and keeps the text', async () => {
    const onSend = vi.fn(async () => { throw new ApiError(429, 'rate_limited', 'You are sending messages too fast.', 7) })
    panel({ onSend })
    const input = screen.getByTestId('chat-input') as HTMLTextAreaElement
    fireEvent.input(input, { target: { value: 'hello' } })
    fireEvent.keyDown(input, { key: 'Enter' })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('You are sending messages too fast. Try again in 7 s.')
    expect(input.value).toBe('hello')
    expect(sendErrorText(new ApiError(400, 'invalid_message', 'a message must be at most 4000 characters (this one has 4001)'))).toBe('a message must be at most 4000 characters (this one has 4001)')
  })

  it('says who is typing', () => {
    panel({ typing: [{ user_id: 'u2', name: 'Bob' }] })
    expect(screen.getByTestId('typing-indicator').textContent).toBe('Bob is typing…')
  })

  it('lets authors edit and delete their messages; others\' only for owners', async () => {
    const props = panel({ history: history({ messages: [msg(1), msg(2, { author_id: 'u2', author_name: 'Bob' })] }) })
    const [mine, theirs] = screen.getAllByTestId('chat-message')
    expect(theirs.querySelector('[data-testid="edit-message"]')).toBeNull()
    expect(theirs.querySelector('[data-testid="delete-message"]')).toBeNull()
    fireEvent.click(mine.querySelector('[data-testid="edit-message"]')!)
    const edit = await screen.findByTestId('edit-input') as HTMLTextAreaElement
    expect(edit.value).toBe('message 1')
    fireEvent.input(edit, { target: { value: 'message one' } })
    fireEvent.keyDown(edit, { key: 'Enter' })
    await waitFor(() => expect(props.onEdit).toHaveBeenCalledWith('m1', 'message one'))
    fireEvent.click(mine.querySelector('[data-testid="delete-message"]')!)
    fireEvent.click(await screen.findByTestId('confirm-delete'))
    await waitFor(() => expect(props.onDelete).toHaveBeenCalledWith(expect.objectContaining({ id: 'm1' })))
  })

  it('lets owners delete anyone\'s message', () => {
    panel({ isOwner: true, history: history({ messages: [msg(2, { author_id: 'u2', author_name: 'Bob' })] }) })
    const item = screen.getByTestId('chat-message')
    expect(item.querySelector('[data-testid="delete-message"]')).not.toBeNull()
    expect(item.querySelector('[data-testid="edit-message"]')).toBeNull()
  })

  it('offers older messages until the start, and no box in an archived room', () => {
    const props = panel({ history: history({ messages: [msg(5)], complete: false }), room: room('r2', 'old', { archived: true }) })
    fireEvent.click(screen.getByTestId('load-older'))
    expect(props.onLoadOlder).toHaveBeenCalled()
    expect(screen.queryByTestId('chat-input')).toBeNull()
    expect(screen.getByText(/#old is archived/)).toBeTruthy()
  })
})

describe('RoomList', () => {
  function list (over: Partial<RoomListProps> = {}) {
    const props: RoomListProps = {
      workspaceId: 'w1',
      rooms: [room('r1', 'general', { is_default: true }), room('r2', 'random')],
      loading: false,
      loadError: null,
      currentRoomId: 'r1',
      canEdit: true,
      unreadOf: (id) => (id === 'r2' ? { unread: 3, mentions: 1 } : { unread: 0, mentions: 0 }),
      mentionCount: 1,
      archived: undefined,
      showArchived: false,
      onShowArchived: vi.fn(),
      onCreate: vi.fn(async () => {}),
      onRename: vi.fn(async () => {}),
      onArchive: vi.fn(async () => {}),
      onRestore: vi.fn(async () => {}),
      onSearch: vi.fn(),
      ...over
    }
    withRouter(() => <RoomList {...props} />)
    return props
  }

  it('lists rooms with links and an unread badge only where there is something unread', () => {
    list()
    const items = screen.getAllByTestId('room-item')
    expect(items.map((i) => i.getAttribute('data-room-name'))).toEqual(['general', 'random'])
    expect(items[0].textContent).toContain('general')
    expect(items[0].querySelector('[data-testid="unread-badge"]')).toBeNull()
    expect(items[1].querySelector('[data-testid="unread-badge"]')?.textContent).toBe('3')
    expect(items[1].querySelector('a')?.getAttribute('href')).toBe('/w/w1/r/r2')
    expect(items[0].querySelector('a')?.getAttribute('aria-current')).toBe('page')
    // the default room cannot be archived
    expect(screen.queryByLabelText('Archive #general')).toBeNull()
    expect(screen.getByLabelText('Archive #random')).toBeTruthy()
  })

  it('creates a room from a typed name', async () => {
    const props = list()
    fireEvent.click(screen.getByTestId('new-room'))
    const input = screen.getByLabelText('New room name') as HTMLInputElement
    fireEvent.input(input, { target: { value: 'Design Review' } })
    fireEvent.submit(input.form!)
    await waitFor(() => expect(props.onCreate).toHaveBeenCalledWith('Design Review'))
  })

  it('shows a failed action\'s message', async () => {
    list({ onCreate: vi.fn(async () => { throw new ApiError(409, 'room_exists', 'a room with this name exists') }) })
    fireEvent.click(screen.getByTestId('new-room'))
    const input = screen.getByLabelText('New room name') as HTMLInputElement
    fireEvent.input(input, { target: { value: 'general' } })
    fireEvent.submit(input.form!)
    expect((await screen.findByRole('alert')).textContent).toContain('a room with this name exists')
  })

  it('has no room actions for viewers, and searches', () => {
    const props = list({ canEdit: false })
    expect(screen.queryByTestId('new-room')).toBeNull()
    expect(screen.queryByLabelText('Rename #random')).toBeNull()
    const search = screen.getByTestId('chat-search') as HTMLInputElement
    fireEvent.input(search, { target: { value: 'deploy' } })
    fireEvent.submit(search.form!)
    expect(props.onSearch).toHaveBeenCalledWith('deploy')
  })

  it('updates the badge live', () => {
    const [count, setCount] = createSignal(0)
    list({ unreadOf: (id) => ({ unread: id === 'r2' ? count() : 0, mentions: 0 }) })
    expect(screen.queryAllByTestId('unread-badge')).toHaveLength(0)
    setCount(1)
    expect(screen.getByTestId('unread-badge').textContent).toBe('1')
  })
})

describe('OnlineList', () => {
  it('shows who is online and where', () => {
    withRouter(() => (
      <OnlineList
        workspaceId="w1"
        connected
        selfId="u1"
        online={[
          { user_id: 'u1', name: 'Ada', locations: [{ kind: 'document', id: 'd1' }] },
          { user_id: 'u2', name: 'Bob', locations: [{ kind: 'room', id: 'r1' }, { kind: 'workspace' }] }
        ]}
        roomName={(id) => (id === 'r1' ? 'general' : undefined)}
        documentPath={(id) => (id === 'd1' ? 'src/main.rs' : undefined)}
      />
    ))
    const users = screen.getAllByTestId('online-user')
    expect(users).toHaveLength(2)
    expect(users[0].textContent).toContain('Ada (you)')
    expect(users[0].textContent).toContain('src/main.rs')
    expect(users[1].textContent).toContain('#general, overview')
    expect(users[1].querySelector('a')?.getAttribute('href')).toBe('/w/w1/r/r1')
  })
})
