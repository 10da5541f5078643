// In-app meeting reminders while the app is open: polls the signed-in user's
// agenda for the next day (every minute), and every few seconds turns the
// occurrences whose reminder time has passed into reminders to show. Each
// occurrence is reminded of once: the keys shown are kept in sessionStorage,
// so a reload does not show them again.

import { createSignal, onCleanup, type Accessor } from 'solid-js'
import { api as defaultApi, type Api } from '../api'
import { dueReminders, type DueReminder } from '../lib/meetingReminders'
import { parseInstant, toRfc3339 } from '../lib/zonedTime'
import type { AgendaOccurrence } from '../types'

const STORAGE_KEY = 'reynard.remindersShown'
/** Keys kept at most (the oldest are forgotten). */
const MAX_KEYS = 200

export interface RemindersOptions {
  agent?: Api
  storage?: Storage
  now?: () => number
  /** How often the agenda is asked for (ms); 0: only once. */
  pollMs?: number
  /** How often due reminders are looked for between polls (ms); 0: only after polls. */
  tickMs?: number
  /** How far ahead the agenda is asked for (ms). */
  horizonMs?: number
}

export interface RemindersStore {
  /** Reminders showing now, soonest first. */
  showing: Accessor<DueReminder[]>
  dismiss: (key: string) => void
  /** Asks for the agenda now and looks for due reminders. */
  poll: () => Promise<void>
}

function readKeys (storage: Storage | undefined): string[] {
  try {
    const raw = storage?.getItem(STORAGE_KEY)
    const keys: unknown = raw ? JSON.parse(raw) : []
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : []
  } catch {
    return []
  }
}

function writeKeys (storage: Storage | undefined, keys: string[]): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(keys.slice(-MAX_KEYS)))
  } catch {
    // storage full or disabled: reminders are remembered for this page only
  }
}

/** Starts polling at once; stops when the owner is cleaned up. */
export function createReminders (opts: RemindersOptions = {}): RemindersStore {
  const agent = opts.agent ?? defaultApi
  const storage = opts.storage ?? (typeof sessionStorage !== 'undefined' ? sessionStorage : undefined)
  const now = opts.now ?? Date.now
  const pollMs = opts.pollMs ?? 60_000
  const tickMs = opts.tickMs ?? 15_000
  const horizonMs = opts.horizonMs ?? 24 * 3600_000
  const shownKeys = readKeys(storage)
  const shown = new Set(shownKeys)
  const [showing, setShowing] = createSignal<DueReminder[]>([])
  let agenda: AgendaOccurrence[] = []
  let stopped = false

  const look = () => {
    const at = now()
    // Reminders of meetings that ended go away by themselves.
    setShowing((prev) => prev
      .filter((r) => parseInstant(r.occurrence.end) > at)
      .map((r) => ({ ...r, minutesLeft: Math.max(0, Math.ceil((parseInstant(r.occurrence.start) - at) / 60_000)) })))
    const due = dueReminders(agenda, at, shown)
    if (due.length === 0) return
    for (const r of due) {
      shown.add(r.key)
      shownKeys.push(r.key)
    }
    writeKeys(storage, shownKeys)
    setShowing((prev) => [...prev, ...due])
  }

  const poll = async () => {
    const at = now()
    try {
      // From a minute back: a reminder at the start still shows during its first minute.
      const answer = await agent.schedule.agenda(toRfc3339(at - 60_000, 'UTC'), toRfc3339(at + horizonMs, 'UTC'))
      if (stopped) return
      agenda = answer
    } catch {
      // Offline or signed out: try again at the next poll.
      return
    }
    look()
  }

  void poll()
  const timers: Array<ReturnType<typeof setInterval>> = []
  if (pollMs > 0) timers.push(setInterval(() => { void poll() }, pollMs))
  if (tickMs > 0) timers.push(setInterval(look, tickMs))
  onCleanup(() => {
    stopped = true
    for (const t of timers) clearInterval(t)
  })

  return {
    showing,
    dismiss: (key) => setShowing((prev) => prev.filter((r) => r.key !== key)),
    poll
  }
}
