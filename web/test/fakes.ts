// A fake API agent for store tests: every call is a vi.fn that a test can program.

import { vi } from 'vitest'
import type { Api } from '../src/api'
import type { ChatMessage, Room } from '../src/types'

type DeepMock<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? ReturnType<typeof vi.fn<(...args: A) => R>> : DeepMock<T[K]> }

export function fakeApi (): DeepMock<Api> & Api {
  const group = <T extends string>(...names: T[]) =>
    Object.fromEntries(names.map((n) => [n, vi.fn(() => Promise.reject(new Error(`unexpected call: ${n}`)))]))
  return {
    auth: group('signup', 'login', 'logout', 'session', 'me', 'updateMe', 'verifyEmail', 'resendVerification'),
    invitations: group('accept'),
    workspaces: group('list', 'create', 'get', 'rename', 'remove'),
    members: group('list', 'add', 'changeRole', 'remove', 'invitations', 'cancelInvitation'),
    documents: group('list', 'create', 'get', 'move', 'remove', 'content', 'replaceContent'),
    history: group('versions', 'createVersion', 'versionContent', 'diff', 'restore', 'branches', 'createBranch', 'merge'),
    rooms: group('list', 'create', 'get', 'update', 'remove'),
    chat: group('messages', 'send', 'edit', 'remove', 'markRead', 'unread', 'mentions', 'search'),
    rtc: group('iceServers'),
    meetings: group('create', 'get', 'update', 'cancel', 'rsvp'),
    schedule: group('agenda', 'slots', 'calendarFeed', 'rotateCalendarFeed'),
    rsvp: group('get', 'answer')
  } as unknown as DeepMock<Api> & Api
}

/** An in-memory Storage. */
export function memoryStorage (): Storage {
  const data = new Map<string, string>()
  return {
    get length () { return data.size },
    clear: () => data.clear(),
    getItem: (k) => data.get(k) ?? null,
    key: (i) => [...data.keys()][i] ?? null,
    removeItem: (k) => { data.delete(k) },
    setItem: (k, v) => { data.set(k, String(v)) }
  }
}

export const doc = (id: string, path: string) => ({
  id,
  workspace_id: 'w1',
  path,
  language: 'plaintext',
  created_at: 1700000000000,
  updated_at: 1700000000000
})

/** Message `n` of room r1 by u1 (Ada), sent at second n. */
export function chatMessage (n: number, over: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: `m${n}`,
    room_id: 'r1',
    author_id: 'u1',
    author_name: 'Ada',
    text: `message ${n}`,
    mentions: [],
    created_at: 1_700_000_000_000 + n * 1000,
    edited_at: null,
    ...over
  }
}

export function room (id: string, name: string, over: Partial<Room> = {}): Room {
  return { id, workspace_id: 'w1', name, is_default: false, archived: false, created_at: 1_700_000_000_000, ...over }
}
