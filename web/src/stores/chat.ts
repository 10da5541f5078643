// Rooms and chat of one workspace: the rooms, each room's history (loaded
// page by page, kept current by the live socket's events), unread counts,
// who is typing, the messages that mention me, and message search. A room on
// screen is "viewed" (`view`): its new messages are marked read instead of
// counted, while the tab is visible.

import { batch, createEffect, createMemo, createSignal, on, onCleanup, type Accessor } from 'solid-js'
import { api as defaultApi, errorMessage, type Api } from '../api'
import {
  EMPTY_HISTORY,
  TypingSignal,
  mergeMessages,
  othersTyping,
  readMarkFor,
  sortRooms,
  totalUnread,
  typistsAfterMessage,
  unreadAfterMessage,
  unreadCleared,
  unreadFromList,
  unreadOf,
  withEdit,
  withMessage,
  withNewestPage,
  withOlderPage,
  withRoom,
  withTypists,
  withoutMessage,
  type History,
  type TypingMap,
  type UnreadCount,
  type UnreadMap
} from '../lib/chat'
import type { ChatMessage, LiveCommand, Room, Typist } from '../types'
import type { ChatEvent } from './live'
import { createLoader, type Loader } from './loader'

/** Messages per page of history. */
export const PAGE_SIZE = 50

/** A room's history as a view shows it. */
export interface RoomHistory extends History {
  /** Whether the newest page has been loaded once. */
  loaded: boolean
  loading: boolean
  loadingOlder: boolean
  error: string | null
}

const EMPTY_ROOM: RoomHistory = { ...EMPTY_HISTORY, loaded: false, loading: false, loadingOlder: false, error: null }

/** A list of messages loaded page by page (mentions). */
export interface MessagePages {
  /** Newest first. */
  messages: ChatMessage[]
  complete: boolean
  loaded: boolean
  loading: boolean
  error: string | null
}

const EMPTY_PAGES: MessagePages = { messages: [], complete: false, loaded: false, loading: false, error: null }

export interface ChatOptions {
  workspaceId: Accessor<string | null>
  /** The signed-in user. */
  selfId: Accessor<string | undefined>
  /** Sends a frame on the live socket (typing). */
  send?: (command: LiveCommand) => boolean
  agent?: Api
  pageSize?: number
  now?: () => number
}

export interface ChatStore {
  /** Rooms that are not archived: the default room first, then by name. */
  rooms: Loader<Room[]>
  /** Archived rooms, loaded while `showArchived` is on. */
  archivedRooms: Loader<Room[]>
  showArchived: Accessor<boolean>
  setShowArchived: (show: boolean) => void
  room: (roomId: string) => Room | undefined
  defaultRoom: Accessor<Room | undefined>
  createRoom: (name: string) => Promise<Room>
  renameRoom: (roomId: string, name: string) => Promise<Room>
  archiveRoom: (roomId: string) => Promise<void>
  restoreRoom: (roomId: string) => Promise<Room>

  history: (roomId: string) => RoomHistory
  /** Loads the newest page of a room unless it is loaded. */
  open: (roomId: string) => Promise<void>
  loadOlder: (roomId: string) => Promise<void>
  send: (roomId: string, text: string) => Promise<ChatMessage>
  edit: (messageId: string, text: string) => Promise<ChatMessage>
  remove: (message: ChatMessage) => Promise<void>

  unread: Accessor<UnreadMap>
  unreadOf: (roomId: string) => UnreadCount
  /** Unread messages over the rooms listed. */
  totalUnread: Accessor<UnreadCount>
  /** Marks `roomId` as on screen until the returned function is called. */
  view: (roomId: string) => () => void
  isViewing: (roomId: string) => boolean

  /** Others typing in a room (never the signed-in user). */
  typing: (roomId: string) => Typist[]
  /** The text of a room's input changed: tells the others we type (throttled). */
  input: (roomId: string, text: string) => void

  mentions: Accessor<MessagePages>
  loadMentions: () => Promise<void>
  loadOlderMentions: () => Promise<void>

  searchQuery: Accessor<string>
  search: (query: string) => void
  results: Loader<ChatMessage[]>

  /** A live event for the chat (from the live store). */
  apply: (event: ChatEvent) => void
  /** After a reconnect: load again what events may have been missed for (rooms on screen, unread, rooms). */
  resync: () => Promise<void>
  /** The live socket closed: nobody is known to be typing. */
  disconnected: () => void
}

export function createChat (opts: ChatOptions): ChatStore {
  const agent = opts.agent ?? defaultApi
  const pageSize = opts.pageSize ?? PAGE_SIZE
  const now = opts.now ?? Date.now
  const workspaceId = createMemo(opts.workspaceId)

  // ---------------------------------------------------------------- rooms
  const rooms = createLoader(workspaceId, async (ws) => sortRooms(await agent.rooms.list(ws)))
  const [showArchived, setShowArchived] = createSignal(false)
  const archivedRooms = createLoader(
    () => (showArchived() ? workspaceId() : false),
    // `?archived=true` lists the open rooms too.
    async (ws) => sortRooms((await agent.rooms.list(ws, true)).filter((r) => r.archived))
  )
  const applyRoom = (room: Room) => {
    if (room.workspace_id && room.workspace_id !== workspaceId()) return
    rooms.mutate((prev) => (prev ? withRoom(prev, room, false) : prev))
    archivedRooms.mutate((prev) => (prev ? withRoom(prev, room, true) : prev))
  }
  const room = (id: string) => rooms.data()?.find((r) => r.id === id) ?? archivedRooms.data()?.find((r) => r.id === id)
  const defaultRoom = createMemo(() => rooms.data()?.find((r) => r.is_default))

  // ---------------------------------------------------------------- histories
  const [histories, setHistories] = createSignal<Readonly<Record<string, RoomHistory>>>({})
  const history = (roomId: string) => histories()[roomId] ?? EMPTY_ROOM
  const update = (roomId: string, change: (h: RoomHistory) => RoomHistory) =>
    setHistories((all) => ({ ...all, [roomId]: change(all[roomId] ?? EMPTY_ROOM) }))
  /** Applies `change` to a room's history only if it was loaded (others load fresh when opened). */
  const updateLoaded = (roomId: string, change: (h: History) => History) =>
    setHistories((all) => {
      const h = all[roomId]
      if (!h?.loaded) return all
      const next = change(h)
      return next === h ? all : { ...all, [roomId]: { ...h, ...next } }
    })

  // Answers for a workspace that is no longer shown are dropped.
  let generation = 0
  const loadNewest = async (roomId: string) => {
    const mine = generation
    update(roomId, (h) => ({ ...h, loading: true, error: null }))
    try {
      const page = await agent.chat.messages(roomId, { limit: pageSize })
      if (mine !== generation) return
      update(roomId, (h) => ({ ...h, ...withNewestPage(h, page, pageSize), loaded: true, loading: false }))
    } catch (err) {
      if (mine !== generation) return
      update(roomId, (h) => ({ ...h, loading: false, error: errorMessage(err) }))
    }
  }

  const open = async (roomId: string) => {
    const h = history(roomId)
    if (h.loaded || h.loading) return
    await loadNewest(roomId)
  }

  const loadOlder = async (roomId: string) => {
    const h = history(roomId)
    if (!h.loaded || h.complete || h.loadingOlder) return
    const mine = generation
    const before = h.messages[0]?.id
    update(roomId, (x) => ({ ...x, loadingOlder: true, error: null }))
    try {
      const page = await agent.chat.messages(roomId, { before, limit: pageSize })
      if (mine !== generation) return
      update(roomId, (x) => ({ ...x, ...withOlderPage(x, page, pageSize), loadingOlder: false }))
    } catch (err) {
      if (mine !== generation) return
      update(roomId, (x) => ({ ...x, loadingOlder: false, error: errorMessage(err) }))
    }
  }

  // ---------------------------------------------------------------- unread
  const [unread, setUnread] = createSignal<UnreadMap>({})
  const [viewed, setViewed] = createSignal<ReadonlyMap<string, number>>(new Map())
  const [visible, setVisible] = createSignal(typeof document === 'undefined' || document.visibilityState !== 'hidden')
  const onVisibility = () => setVisible(document.visibilityState !== 'hidden')
  if (typeof document !== 'undefined') {
    document.addEventListener('visibilitychange', onVisibility)
    onCleanup(() => document.removeEventListener('visibilitychange', onVisibility))
  }
  const isViewing = (roomId: string) => visible() && (viewed().get(roomId) ?? 0) > 0

  const loadUnread = async () => {
    const ws = workspaceId()
    if (!ws) return
    const mine = generation
    try {
      const list = await agent.chat.unread(ws)
      if (mine !== generation) return
      let map = unreadFromList(list)
      // Rooms on screen are being read (their marks may be under way).
      for (const roomId of viewed().keys()) if (isViewing(roomId)) map = unreadCleared(map, roomId)
      setUnread(map)
    } catch {
      // the badges wait for the next load
    }
  }

  const view = (roomId: string) => {
    setViewed((prev) => new Map(prev).set(roomId, (prev.get(roomId) ?? 0) + 1))
    let done = false
    return () => {
      if (done) return
      done = true
      setViewed((prev) => {
        const next = new Map(prev)
        const n = (next.get(roomId) ?? 1) - 1
        if (n > 0) next.set(roomId, n)
        else next.delete(roomId)
        return next
      })
    }
  }

  // A viewed room is read up to its newest loaded message.
  const marked = new Map<string, string>()
  createEffect(() => {
    const all = histories()
    for (const roomId of viewed().keys()) {
      if (!isViewing(roomId)) continue
      const h = all[roomId]
      if (!h?.loaded) continue
      setUnread((map) => unreadCleared(map, roomId))
      const id = readMarkFor(h, marked.get(roomId))
      if (!id) continue
      marked.set(roomId, id)
      agent.chat.markRead(roomId, id).catch(() => {
        if (marked.get(roomId) === id) marked.delete(roomId)
      })
    }
  })

  // ---------------------------------------------------------------- typing
  const [typists, setTypists] = createSignal<TypingMap>({})
  const typingSignal = new TypingSignal()
  const sendFrame = (frame: LiveCommand | null) => { if (frame) opts.send?.(frame) }

  // ---------------------------------------------------------------- mentions
  const [mentions, setMentions] = createSignal<MessagePages>(EMPTY_PAGES)
  const loadMentionsPage = async (before: string | undefined) => {
    const ws = workspaceId()
    if (!ws) return
    const mine = generation
    setMentions((m) => ({ ...m, loading: true, error: null }))
    try {
      const page = await agent.chat.mentions(ws, { before, limit: pageSize })
      if (mine !== generation) return
      setMentions((m) => ({
        messages: mergeMessages(before ? m.messages : [], page).reverse(),
        complete: page.length < pageSize,
        loaded: true,
        loading: false,
        error: null
      }))
    } catch (err) {
      if (mine !== generation) return
      setMentions((m) => ({ ...m, loading: false, error: errorMessage(err) }))
    }
  }
  const replaceIn = (list: ChatMessage[], message: ChatMessage) =>
    list.some((m) => m.id === message.id) ? list.map((m) => (m.id === message.id ? message : m)) : list

  // ---------------------------------------------------------------- search
  const [searchQuery, setSearchQuery] = createSignal('')
  const results = createLoader(
    () => {
      const ws = workspaceId()
      const q = searchQuery().trim()
      return ws && q ? `${ws}\n${q}` : false
    },
    (key) => {
      const [ws, q] = [key.slice(0, key.indexOf('\n')), key.slice(key.indexOf('\n') + 1)]
      return agent.chat.search(ws, q, pageSize)
    }
  )

  // ---------------------------------------------------------------- live events
  const apply = (event: ChatEvent) => {
    switch (event.type) {
      case 'message': {
        const m = event.message
        batch(() => {
          updateLoaded(m.room_id, (h) => withMessage(h, m))
          setUnread((map) => unreadAfterMessage(map, m, opts.selfId(), isViewing))
          setTypists((t) => typistsAfterMessage(t, m))
          if (m.mentions.includes(opts.selfId() ?? '') && m.author_id !== opts.selfId()) {
            setMentions((x) => (x.loaded && !x.messages.some((y) => y.id === m.id) ? { ...x, messages: [m, ...x.messages] } : x))
          }
        })
        break
      }
      case 'message_edited': {
        const m = event.message
        batch(() => {
          updateLoaded(m.room_id, (h) => withEdit(h, m))
          setMentions((x) => ({ ...x, messages: replaceIn(x.messages, m) }))
          results.mutate((list) => (list ? replaceIn(list, m) : list))
        })
        break
      }
      case 'message_deleted':
        batch(() => {
          updateLoaded(event.room_id, (h) => withoutMessage(h, event.message_id))
          setMentions((x) => ({ ...x, messages: x.messages.filter((y) => y.id !== event.message_id) }))
          results.mutate((list) => list?.filter((y) => y.id !== event.message_id))
        })
        break
      case 'typing':
        setTypists((t) => withTypists(t, event.room_id, event.users))
        break
      case 'room':
        applyRoom(event.room)
        break
    }
  }

  // Rooms on screen load their newest page again; the others are forgotten
  // and load fresh when opened.
  const resync = async () => {
    const all = histories()
    const shown = Object.keys(all).filter((id) => all[id].loaded && viewed().has(id))
    setHistories(Object.fromEntries(shown.map((id) => [id, all[id]])))
    await Promise.all([
      rooms.reload(),
      loadUnread(),
      ...shown.map((id) => loadNewest(id))
    ])
  }

  // Another workspace: start over.
  createEffect(on(workspaceId, () => {
    generation += 1
    marked.clear()
    typingSignal.reset()
    batch(() => {
      setHistories({})
      setUnread({})
      setTypists({})
      setMentions(EMPTY_PAGES)
      setSearchQuery('')
    })
    void loadUnread()
  }))

  return {
    rooms,
    archivedRooms,
    showArchived,
    setShowArchived,
    room,
    defaultRoom,
    createRoom: async (name) => {
      const created = await agent.rooms.create(workspaceId() ?? '', name.trim())
      applyRoom(created)
      return created
    },
    renameRoom: async (roomId, name) => {
      const updated = await agent.rooms.update(roomId, { name: name.trim() })
      applyRoom(updated)
      return updated
    },
    archiveRoom: async (roomId) => {
      await agent.rooms.remove(roomId)
      const known = room(roomId)
      if (known) applyRoom({ ...known, archived: true })
    },
    restoreRoom: async (roomId) => {
      const updated = await agent.rooms.update(roomId, { archived: false })
      applyRoom(updated)
      return updated
    },

    history,
    open,
    loadOlder,
    send: async (roomId, text) => {
      const message = await agent.chat.send(roomId, text)
      sendFrame(typingSignal.stop(roomId))
      updateLoaded(roomId, (h) => withMessage(h, message))
      return message
    },
    edit: async (messageId, text) => {
      const message = await agent.chat.edit(messageId, text)
      apply({ type: 'message_edited', message })
      return message
    },
    remove: async (message) => {
      await agent.chat.remove(message.id)
      apply({ type: 'message_deleted', room_id: message.room_id, message_id: message.id })
    },

    unread,
    unreadOf: (roomId) => unreadOf(unread(), roomId),
    totalUnread: () => totalUnread(unread(), rooms.data() ?? []),
    view,
    isViewing,

    typing: (roomId) => othersTyping(typists()[roomId], opts.selfId()),
    input: (roomId, text) => sendFrame(typingSignal.input(roomId, text, now())),

    mentions,
    loadMentions: () => loadMentionsPage(undefined),
    loadOlderMentions: async () => {
      const m = mentions()
      if (!m.loaded || m.complete || m.loading) return
      await loadMentionsPage(m.messages[m.messages.length - 1]?.id)
    },

    searchQuery,
    search: (query) => setSearchQuery(query.trim()),
    results,

    apply,
    resync,
    disconnected: () => {
      setTypists({})
      typingSignal.reset()
    }
  }
}
