// Runs an async action and keeps what a view needs to show about it: whether
// it is running and, if it failed, the error in words.

import { createSignal, type Accessor } from 'solid-js'
import { errorMessage } from '../api'

export interface Action<A extends unknown[], R> {
  /** Runs the action; resolves to its result, or undefined when it failed (see `error`). */
  run: (...args: A) => Promise<R | undefined>
  pending: Accessor<boolean>
  error: Accessor<string | null>
  clearError: () => void
}

export function createAction<A extends unknown[], R> (fn: (...args: A) => Promise<R>): Action<A, R> {
  const [pending, setPending] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const run = async (...args: A): Promise<R | undefined> => {
    setPending(true)
    setError(null)
    try {
      return await fn(...args)
    } catch (err) {
      setError(errorMessage(err))
      return undefined
    } finally {
      setPending(false)
    }
  }
  return { run, pending, error, clearError: () => setError(null) }
}
