import { describe, expect, it } from 'vitest'
import {
  EMPTY_HISTORY,
  TypingSignal,
  canDeleteMessage,
  canEditMessage,
  charCount,
  distinctLocations,
  mergeMessages,
  othersTyping,
  readMarkFor,
  sortRooms,
  startsGroup,
  totalUnread,
  typingText,
  typistsAfterMessage,
  unreadAfterMessage,
  unreadCleared,
  unreadFromList,
  unreadOf,
  usersAt,
  withEdit,
  withMessage,
  withNewestPage,
  withOlderPage,
  withPresence,
  withRoom,
  withTypists,
  withoutMessage,
  type History
} from '../src/lib/chat'
import { chatTime } from '../src/lib/time'
import type { ChatMessage } from '../src/types'
import { chatMessage as msg, room } from './fakes'

/** A page as the server sends it: newest first. */
const page = (...ns: number[]) => ns.slice().sort((a, b) => b - a).map((n) => msg(n))
const ids = (h: History | ChatMessage[]) => ('messages' in h ? h.messages : h).map((m) => m.id)

describe('merging pages of messages', () => {
  it('keeps each message once, oldest first, whatever order they come in', () => {
    const merged = mergeMessages([msg(1), msg(3)], [msg(4), msg(2), msg(3)])
    expect(ids(merged)).toEqual(['m1', 'm2', 'm3', 'm4'])
  })

  it('keeps the later edit of a message', () => {
    const edited = msg(2, { text: 'fixed', edited_at: 1_700_000_100_000 })
    expect(mergeMessages([msg(1), edited], [msg(2)])[1].text).toBe('fixed')
    expect(mergeMessages([msg(1), msg(2)], [edited])[1].text).toBe('fixed')
    expect(mergeMessages([], [edited, msg(2)])).toEqual([edited])
  })

  it('keeps messages of one millisecond in the order the server gave', () => {
    const a = msg(1, { id: 'a' })
    const b = msg(1, { id: 'b' })
    // newest first from the server: b came after a
    expect(ids(withOlderPage(EMPTY_HISTORY, [b, a], 50))).toEqual(['a', 'b'])
  })

  it('adds older pages before the loaded history and knows when the start is reached', () => {
    let h: History = withNewestPage(EMPTY_HISTORY, page(4, 5, 6), 3)
    expect(ids(h)).toEqual(['m4', 'm5', 'm6'])
    expect(h.complete).toBe(false)
    h = withOlderPage(h, page(1, 2, 3), 3)
    expect(ids(h)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6'])
    expect(h.complete).toBe(false)
    h = withOlderPage(h, [], 3)
    expect(h.complete).toBe(true)
    // a short page is the last one
    expect(withOlderPage(withNewestPage(EMPTY_HISTORY, page(4, 5, 6), 3), page(3), 3).complete).toBe(true)
  })

  it('takes a newest page over what is loaded: deletions go, older history stays', () => {
    const loaded: History = { messages: [msg(1), msg(2), msg(3), msg(4), msg(5)], complete: true }
    // While we were away m4 was deleted, m3 edited, and m6 is new.
    const edited = msg(3, { text: 'edited', edited_at: 1_700_000_090_000 })
    const h = withNewestPage(loaded, [msg(6), msg(5), edited], 3)
    expect(ids(h)).toEqual(['m1', 'm2', 'm3', 'm5', 'm6'])
    expect(h.messages[2].text).toBe('edited')
    expect(h.complete).toBe(true)
  })

  it('drops what is loaded when the newest page does not reach it (no gap is shown)', () => {
    const loaded: History = { messages: [msg(1), msg(2)], complete: true }
    const h = withNewestPage(loaded, page(10, 11, 12), 3)
    expect(ids(h)).toEqual(['m10', 'm11', 'm12'])
    expect(h.complete).toBe(false)
  })

  it('takes a short newest page as the whole room', () => {
    const loaded: History = { messages: [msg(1), msg(2), msg(3)], complete: false }
    const h = withNewestPage(loaded, page(2, 3), 50)
    expect(ids(h)).toEqual(['m2', 'm3'])
    expect(h.complete).toBe(true)
    expect(withNewestPage(loaded, [], 50)).toEqual({ messages: [], complete: true })
  })
})

describe('live events on a history', () => {
  const h: History = { messages: [msg(1), msg(2)], complete: true }

  it('adds a new message once (the live copy and our own send)', () => {
    const once = withMessage(h, msg(3))
    expect(ids(withMessage(once, msg(3)))).toEqual(['m1', 'm2', 'm3'])
  })

  it('replaces an edited message, ignores edits of messages not loaded', () => {
    const edited = msg(2, { text: 'better', edited_at: 1_700_000_050_000 })
    expect(withEdit(h, edited).messages[1]).toEqual(edited)
    expect(withEdit(h, msg(9, { edited_at: 1 }))).toBe(h)
  })

  it('removes a deleted message', () => {
    expect(ids(withoutMessage(h, 'm1'))).toEqual(['m2'])
    expect(withoutMessage(h, 'nope')).toBe(h)
  })

  it('groups consecutive messages of one author within minutes', () => {
    expect(startsGroup(msg(2), msg(1))).toBe(false)
    expect(startsGroup(msg(2, { author_id: 'u2' }), msg(1))).toBe(true)
    expect(startsGroup(msg(1000), msg(1))).toBe(true)
    expect(startsGroup(msg(1), undefined)).toBe(true)
  })

  it('lets authors edit, and authors and owners delete', () => {
    expect(canEditMessage(msg(1), 'u1')).toBe(true)
    expect(canEditMessage(msg(1), 'u2')).toBe(false)
    expect(canDeleteMessage(msg(1), 'u2', false)).toBe(false)
    expect(canDeleteMessage(msg(1), 'u2', true)).toBe(true)
    expect(canDeleteMessage(msg(1), undefined, false)).toBe(false)
  })
})

describe('unread counts', () => {
  const none = () => false

  it('counts messages of others in rooms not being read, and mentions of me', () => {
    let map = unreadFromList([{ room_id: 'r1', unread: 2, mentions: 0 }])
    map = unreadAfterMessage(map, msg(1, { author_id: 'u2' }), 'u1', none)
    expect(unreadOf(map, 'r1')).toEqual({ unread: 3, mentions: 0 })
    map = unreadAfterMessage(map, msg(2, { author_id: 'u2', room_id: 'r2', mentions: ['u1'] }), 'u1', none)
    expect(unreadOf(map, 'r2')).toEqual({ unread: 1, mentions: 1 })
    expect(unreadOf(map, 'r3')).toEqual({ unread: 0, mentions: 0 })
  })

  it('does not count my own messages or the room on screen', () => {
    const map = unreadFromList([])
    expect(unreadAfterMessage(map, msg(1, { author_id: 'u1' }), 'u1', none)).toBe(map)
    expect(unreadAfterMessage(map, msg(1, { author_id: 'u2' }), 'u1', (r) => r === 'r1')).toBe(map)
  })

  it('clears a room, and adds up the listed rooms', () => {
    const map = unreadFromList([{ room_id: 'r1', unread: 2, mentions: 1 }, { room_id: 'r2', unread: 3, mentions: 0 }, { room_id: 'gone', unread: 9, mentions: 9 }])
    expect(unreadOf(unreadCleared(map, 'r1'), 'r1')).toEqual({ unread: 0, mentions: 0 })
    expect(unreadCleared(map, 'r9')).toBe(map)
    expect(totalUnread(map, [room('r1', 'a'), room('r2', 'b')])).toEqual({ unread: 5, mentions: 1 })
  })

  it('marks a viewed room read up to its newest message, once', () => {
    const h: History = { messages: [msg(1), msg(2)], complete: true }
    expect(readMarkFor(h, undefined)).toBe('m2')
    expect(readMarkFor(h, 'm2')).toBeNull()
    expect(readMarkFor(withMessage(h, msg(3)), 'm2')).toBe('m3')
    expect(readMarkFor(EMPTY_HISTORY, undefined)).toBeNull()
  })
})

describe('rooms', () => {
  it('lists the default room first, then by name, and follows live changes', () => {
    const general = room('r0', 'general', { is_default: true })
    let rooms = sortRooms([room('r2', 'zebra'), general, room('r1', 'alpha')])
    expect(rooms.map((r) => r.name)).toEqual(['general', 'alpha', 'zebra'])
    rooms = withRoom(rooms, room('r3', 'middle'), false)
    expect(rooms.map((r) => r.name)).toEqual(['general', 'alpha', 'middle', 'zebra'])
    rooms = withRoom(rooms, room('r1', 'omega'), false)
    expect(rooms.map((r) => r.name)).toEqual(['general', 'middle', 'omega', 'zebra'])
    rooms = withRoom(rooms, room('r2', 'zebra', { archived: true }), false)
    expect(rooms.map((r) => r.name)).toEqual(['general', 'middle', 'omega'])
    expect(withRoom([], room('r2', 'zebra', { archived: true }), true).map((r) => r.id)).toEqual(['r2'])
  })
})

describe('presence', () => {
  const ada = { user_id: 'u1', name: 'Ada', locations: [{ kind: 'workspace' as const }] }
  const bob = { user_id: 'u2', name: 'Bob', locations: [{ kind: 'room' as const, id: 'r1' }, { kind: 'room' as const, id: 'r1' }] }

  it('adds, moves and removes people; empty locations mean offline', () => {
    let online = withPresence([], bob)
    online = withPresence(online, ada)
    expect(online.map((u) => u.name)).toEqual(['Ada', 'Bob'])
    expect(usersAt(online, { kind: 'room', id: 'r1' }).map((u) => u.name)).toEqual(['Bob'])
    online = withPresence(online, { ...ada, locations: [{ kind: 'document', id: 'd1' }] })
    expect(usersAt(online, { kind: 'document', id: 'd1' }).map((u) => u.name)).toEqual(['Ada'])
    expect(usersAt(online, { kind: 'workspace' })).toEqual([])
    online = withPresence(online, { ...bob, locations: [] })
    expect(online.map((u) => u.name)).toEqual(['Ada'])
    expect(distinctLocations(bob.locations)).toEqual([{ kind: 'room', id: 'r1' }])
  })
})

describe('typing', () => {
  const ada = { user_id: 'u1', name: 'Ada' }
  const bob = { user_id: 'u2', name: 'Bob' }

  it('hides me, and says who types in words', () => {
    expect(othersTyping([ada, bob], 'u1')).toEqual([bob])
    expect(othersTyping(undefined, 'u1')).toEqual([])
    expect(typingText([])).toBe('')
    expect(typingText([bob])).toBe('Bob is typing…')
    expect(typingText([ada, bob])).toBe('Ada and Bob are typing…')
    expect(typingText([ada, bob, { user_id: 'u3', name: 'Cy' }])).toBe('Ada, Bob and Cy are typing…')
    expect(typingText([ada, bob, { user_id: 'u3', name: 'Cy' }, { user_id: 'u4', name: 'Di' }])).toBe('Ada, Bob and 2 others are typing…')
  })

  it('keeps the typists of each room; a sent message ends its author\'s typing', () => {
    let map = withTypists({}, 'r1', [ada, bob])
    map = typistsAfterMessage(map, msg(1, { author_id: 'u2' }))
    expect(map.r1).toEqual([ada])
    map = withTypists(map, 'r1', [])
    expect(map).toEqual({})
    expect(typistsAfterMessage(map, msg(2))).toBe(map)
  })

  it('says "typing" at most every 2 s per room, and "stopped" once', () => {
    const signal = new TypingSignal()
    expect(signal.input('r1', 'h', 0)).toEqual({ type: 'typing', room_id: 'r1' })
    expect(signal.input('r1', 'he', 500)).toBeNull()
    expect(signal.input('r1', 'hel', 1999)).toBeNull()
    expect(signal.input('r1', 'hell', 2000)).toEqual({ type: 'typing', room_id: 'r1' })
    expect(signal.input('r2', 'x', 2100)).toEqual({ type: 'typing', room_id: 'r2' })
    expect(signal.input('r1', '  ', 2200)).toEqual({ type: 'typing_stopped', room_id: 'r1' })
    expect(signal.input('r1', '', 2300)).toBeNull()
    expect(signal.stop('r1')).toBeNull()
    expect(signal.stop('r2')).toEqual({ type: 'typing_stopped', room_id: 'r2' })
    // after stopping, typing is announced again at once
    expect(signal.input('r1', 'a', 2400)).toEqual({ type: 'typing', room_id: 'r1' })
    signal.reset()
    expect(signal.stop('r1')).toBeNull()
  })
})

describe('message text', () => {
  it('counts characters as the server does', () => {
    expect(charCount('é😀a')).toBe(3)
  })

  it('shows the clock time today and the date otherwise', () => {
    const now = new Date(2024, 4, 10, 15, 0).getTime()
    expect(chatTime(new Date(2024, 4, 10, 9, 5).getTime(), now)).toMatch(/09.05|9.05/)
    expect(chatTime(new Date(2024, 3, 1, 9, 5).getTime(), now)).toMatch(/2024/)
  })
})
