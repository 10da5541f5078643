import { createRoot, createSignal } from 'solid-js'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../src/api'
import { createChat, type ChatStore } from '../src/stores/chat'
import type { ChatMessage, LiveCommand } from '../src/types'
import { chatMessage as msg, fakeApi, room } from './fakes'

/** Lets pending promises (loaders, effects) settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

const newestFirst = (...ns: number[]) => ns.slice().sort((a, b) => b - a).map((n) => msg(n))
const ids = (list: ChatMessage[]) => list.map((m) => m.id)

describe('createChat', () => {
  let dispose: (() => void) | undefined
  afterEach(() => {
    dispose?.()
    dispose = undefined
  })

  function setup ({ pageSize = 3 } = {}) {
    const agent = fakeApi()
    agent.rooms.list.mockResolvedValue([room('r2', 'random'), room('r1', 'general', { is_default: true })])
    agent.chat.unread.mockResolvedValue([{ room_id: 'r2', unread: 4, mentions: 1 }])
    agent.chat.markRead.mockResolvedValue(undefined)
    const sent: LiveCommand[] = []
    let clock = 0
    const [workspaceId, setWorkspaceId] = createSignal<string | null>('w1')
    const chat = createRoot((d) => {
      dispose = d
      return createChat({
        workspaceId,
        selfId: () => 'u1',
        send: (c) => { sent.push(c); return true },
        agent,
        pageSize,
        now: () => clock
      })
    }) as ChatStore
    return { chat, agent, sent, setWorkspaceId, tick: (ms: number) => { clock += ms } }
  }

  it('loads the rooms (default first) and the unread counts', async () => {
    const { chat, agent } = setup()
    await settle()
    expect(agent.rooms.list).toHaveBeenCalledWith('w1')
    expect(chat.rooms.data()?.map((r) => r.name)).toEqual(['general', 'random'])
    expect(chat.defaultRoom()?.id).toBe('r1')
    expect(chat.unreadOf('r2')).toEqual({ unread: 4, mentions: 1 })
    expect(chat.unreadOf('r1')).toEqual({ unread: 0, mentions: 0 })
    expect(chat.totalUnread()).toEqual({ unread: 4, mentions: 1 })
  })

  it('loads a room\'s newest page, then older pages with `before`, until the start', async () => {
    const { chat, agent } = setup()
    agent.chat.messages.mockResolvedValueOnce(newestFirst(4, 5, 6))
    await chat.open('r1')
    expect(agent.chat.messages).toHaveBeenLastCalledWith('r1', { limit: 3 })
    expect(ids(chat.history('r1').messages)).toEqual(['m4', 'm5', 'm6'])
    expect(chat.history('r1').complete).toBe(false)
    agent.chat.messages.mockResolvedValueOnce(newestFirst(2, 3, 4)) // overlapping: no duplicates
    await chat.loadOlder('r1')
    expect(agent.chat.messages).toHaveBeenLastCalledWith('r1', { before: 'm4', limit: 3 })
    expect(ids(chat.history('r1').messages)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6'])
    agent.chat.messages.mockResolvedValueOnce(newestFirst(1))
    await chat.loadOlder('r1')
    expect(chat.history('r1').complete).toBe(true)
    await chat.loadOlder('r1')
    await chat.open('r1')
    expect(agent.chat.messages).toHaveBeenCalledTimes(3)
  })

  it('says why a history could not load', async () => {
    const { chat, agent } = setup()
    agent.chat.messages.mockRejectedValueOnce(new ApiError(404, 'not_found', 'no such room'))
    await chat.open('r9')
    expect(chat.history('r9').error).toBe('no such room')
    expect(chat.history('r9').loaded).toBe(false)
  })

  it('counts live messages of others in rooms not on screen', async () => {
    const { chat } = setup()
    await settle()
    chat.apply({ type: 'message', message: msg(1, { room_id: 'r2', author_id: 'u2' }) })
    chat.apply({ type: 'message', message: msg(2, { room_id: 'r2', author_id: 'u1' }) })
    chat.apply({ type: 'message', message: msg(3, { room_id: 'r1', author_id: 'u2', mentions: ['u1'] }) })
    expect(chat.unreadOf('r2')).toEqual({ unread: 5, mentions: 1 })
    expect(chat.unreadOf('r1')).toEqual({ unread: 1, mentions: 1 })
    // a room not loaded keeps no live messages (it loads fresh when opened)
    expect(chat.history('r2').messages).toEqual([])
  })

  it('marks a room on screen read up to its newest message, also as messages arrive', async () => {
    const { chat, agent } = setup()
    await settle()
    agent.chat.messages.mockResolvedValueOnce(newestFirst(1, 2))
    await chat.open('r2')
    const stop = chat.view('r2')
    await settle()
    expect(agent.chat.markRead).toHaveBeenLastCalledWith('r2', 'm2')
    expect(chat.unreadOf('r2')).toEqual({ unread: 0, mentions: 0 })

    chat.apply({ type: 'message', message: msg(3, { room_id: 'r2', author_id: 'u2' }) })
    await settle()
    expect(ids(chat.history('r2').messages)).toEqual(['m1', 'm2', 'm3'])
    expect(chat.unreadOf('r2').unread).toBe(0)
    expect(agent.chat.markRead).toHaveBeenLastCalledWith('r2', 'm3')
    expect(agent.chat.markRead).toHaveBeenCalledTimes(2)

    // left the room: messages count again
    stop()
    chat.apply({ type: 'message', message: msg(4, { room_id: 'r2', author_id: 'u2' }) })
    await settle()
    expect(chat.unreadOf('r2').unread).toBe(1)
    expect(agent.chat.markRead).toHaveBeenCalledTimes(2)
  })

  it('sends a message once (the live copy of our own send is the same message)', async () => {
    const { chat, agent, sent, tick } = setup()
    agent.chat.messages.mockResolvedValueOnce([])
    await chat.open('r1')
    chat.input('r1', 'h')
    tick(500)
    chat.input('r1', 'hi')
    expect(sent).toEqual([{ type: 'typing', room_id: 'r1' }])
    tick(2000)
    chat.input('r1', 'hi!')
    expect(sent).toHaveLength(2)
    const mine = msg(1, { text: 'hi!' })
    agent.chat.send.mockResolvedValueOnce(mine)
    await chat.send('r1', 'hi!')
    expect(agent.chat.send).toHaveBeenCalledWith('r1', 'hi!')
    expect(sent[2]).toEqual({ type: 'typing_stopped', room_id: 'r1' })
    chat.apply({ type: 'message', message: mine })
    expect(ids(chat.history('r1').messages)).toEqual(['m1'])
    expect(chat.unreadOf('r1').unread).toBe(0)
  })

  it('passes a refused send on with the server\'s message', async () => {
    const { chat, agent } = setup()
    agent.chat.send.mockRejectedValueOnce(new ApiError(429, 'rate_limited', 'slow down', 3))
    await expect(chat.send('r1', 'x')).rejects.toThrow('slow down')
  })

  it('applies edits and deletions to histories, mentions and search results', async () => {
    const { chat, agent } = setup()
    agent.chat.messages.mockResolvedValueOnce(newestFirst(1, 2))
    await chat.open('r1')
    const edited = msg(2, { text: 'edited', edited_at: 1_700_000_099_000 })
    chat.apply({ type: 'message_edited', message: edited })
    expect(chat.history('r1').messages[1].text).toBe('edited')
    chat.apply({ type: 'message_deleted', room_id: 'r1', message_id: 'm1' })
    expect(ids(chat.history('r1').messages)).toEqual(['m2'])

    agent.chat.edit.mockResolvedValueOnce(msg(2, { text: 'again', edited_at: 1_700_000_100_000 }))
    await chat.edit('m2', 'again')
    expect(chat.history('r1').messages[0].text).toBe('again')
    agent.chat.remove.mockResolvedValueOnce(undefined)
    await chat.remove(chat.history('r1').messages[0])
    expect(agent.chat.remove).toHaveBeenCalledWith('m2')
    expect(chat.history('r1').messages).toEqual([])
  })

  it('shows who else is typing, and forgets typists when the socket drops', async () => {
    const { chat } = setup()
    chat.apply({ type: 'typing', room_id: 'r1', users: [{ user_id: 'u1', name: 'Ada' }, { user_id: 'u2', name: 'Bob' }] })
    expect(chat.typing('r1')).toEqual([{ user_id: 'u2', name: 'Bob' }])
    chat.apply({ type: 'message', message: msg(1, { author_id: 'u2' }) })
    expect(chat.typing('r1')).toEqual([])
    chat.apply({ type: 'typing', room_id: 'r1', users: [{ user_id: 'u2', name: 'Bob' }] })
    chat.disconnected()
    expect(chat.typing('r1')).toEqual([])
  })

  it('follows rooms created, renamed and archived elsewhere', async () => {
    const { chat, agent } = setup()
    await settle()
    chat.apply({ type: 'room', room: room('r3', 'design') })
    expect(chat.rooms.data()?.map((r) => r.name)).toEqual(['general', 'design', 'random'])
    chat.apply({ type: 'room', room: room('r3', 'design', { archived: true }) })
    expect(chat.rooms.data()?.map((r) => r.name)).toEqual(['general', 'random'])
    chat.apply({ type: 'room', room: room('r9', 'elsewhere', { workspace_id: 'w2' }) })
    expect(chat.rooms.data()).toHaveLength(2)

    agent.rooms.create.mockResolvedValueOnce(room('r4', 'new-room'))
    await chat.createRoom('  New Room ')
    expect(agent.rooms.create).toHaveBeenCalledWith('w1', 'New Room')
    expect(chat.room('r4')?.name).toBe('new-room')
    agent.rooms.remove.mockResolvedValueOnce(undefined)
    await chat.archiveRoom('r4')
    expect(chat.room('r4')).toBeUndefined()
    agent.rooms.update.mockResolvedValueOnce(room('r2', 'renamed'))
    await chat.renameRoom('r2', 'renamed')
    expect(agent.rooms.update).toHaveBeenCalledWith('r2', { name: 'renamed' })
    expect(chat.room('r2')?.name).toBe('renamed')
  })

  it('lists archived rooms on demand, and restores one', async () => {
    const { chat, agent } = setup()
    await settle()
    agent.rooms.list.mockResolvedValueOnce([room('r1', 'general', { is_default: true }), room('r5', 'old', { archived: true })])
    chat.setShowArchived(true)
    await settle()
    expect(agent.rooms.list).toHaveBeenLastCalledWith('w1', true)
    expect(chat.archivedRooms.data()?.map((r) => r.id)).toEqual(['r5'])
    agent.rooms.update.mockResolvedValueOnce(room('r5', 'old'))
    await chat.restoreRoom('r5')
    expect(agent.rooms.update).toHaveBeenCalledWith('r5', { archived: false })
    expect(chat.archivedRooms.data()).toEqual([])
    expect(chat.rooms.data()?.map((r) => r.name)).toEqual(['general', 'old', 'random'])
  })

  it('lists mentions page by page, with new ones first as they arrive', async () => {
    const { chat, agent } = setup()
    agent.chat.mentions.mockResolvedValueOnce(newestFirst(4, 5, 6))
    await chat.loadMentions()
    expect(ids(chat.mentions().messages)).toEqual(['m6', 'm5', 'm4'])
    agent.chat.mentions.mockResolvedValueOnce(newestFirst(3))
    await chat.loadOlderMentions()
    expect(agent.chat.mentions).toHaveBeenLastCalledWith('w1', { before: 'm4', limit: 3 })
    expect(ids(chat.mentions().messages)).toEqual(['m6', 'm5', 'm4', 'm3'])
    expect(chat.mentions().complete).toBe(true)
    chat.apply({ type: 'message', message: msg(7, { author_id: 'u2', mentions: ['u1'] }) })
    chat.apply({ type: 'message', message: msg(8, { author_id: 'u2', mentions: ['u3'] }) })
    expect(ids(chat.mentions().messages)).toEqual(['m7', 'm6', 'm5', 'm4', 'm3'])
  })

  it('searches the workspace\'s messages', async () => {
    const { chat, agent } = setup()
    agent.chat.search.mockResolvedValueOnce([msg(2)])
    chat.search('  deploy ')
    await settle()
    expect(agent.chat.search).toHaveBeenCalledWith('w1', 'deploy', 3)
    expect(ids(chat.results.data() ?? [])).toEqual(['m2'])
  })

  it('after a reconnect, loads again what it shows and forgets the rest', async () => {
    const { chat, agent } = setup()
    await settle()
    agent.chat.messages.mockResolvedValueOnce(newestFirst(1, 2))
    await chat.open('r1')
    agent.chat.messages.mockResolvedValueOnce(newestFirst(5))
    await chat.open('r3')
    const stop = chat.view('r1')
    await settle()
    agent.chat.messages.mockResolvedValueOnce(newestFirst(2, 3))
    agent.chat.unread.mockResolvedValueOnce([{ room_id: 'r2', unread: 7, mentions: 0 }])
    await chat.resync()
    expect(ids(chat.history('r1').messages)).toEqual(['m2', 'm3'])
    expect(chat.history('r3').loaded).toBe(false)
    expect(chat.unreadOf('r2').unread).toBe(7)
    expect(agent.rooms.list).toHaveBeenCalledTimes(2)
    stop()
  })

  it('starts over for another workspace', async () => {
    const { chat, agent, setWorkspaceId } = setup()
    agent.chat.messages.mockResolvedValueOnce(newestFirst(1))
    await chat.open('r1')
    await settle()
    agent.chat.unread.mockResolvedValueOnce([])
    setWorkspaceId('w2')
    await settle()
    expect(chat.history('r1').messages).toEqual([])
    expect(chat.unreadOf('r2').unread).toBe(0)
    expect(agent.chat.unread).toHaveBeenLastCalledWith('w2')
  })

  it('stops telling that we type when the input is cleared', () => {
    const { chat, sent } = setup()
    chat.input('r1', 'x')
    chat.input('r1', '')
    chat.input('r1', '')
    expect(sent).toEqual([{ type: 'typing', room_id: 'r1' }, { type: 'typing_stopped', room_id: 'r1' }])
  })
})
