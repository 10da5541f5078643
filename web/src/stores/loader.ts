// Loads data for a view: the data, the error in words, whether it is loading.
// Unlike `createResource`, reading the data never throws: a failed load shows
// its message next to what it was loading.

import { createEffect, createSignal, on, type Accessor, type Setter } from 'solid-js'
import { errorMessage } from '../api'

export interface Loader<T> {
  data: Accessor<T | undefined>
  error: Accessor<string | null>
  loading: Accessor<boolean>
  /** Loads again from the current source. */
  reload: () => Promise<void>
  mutate: Setter<T | undefined>
}

/**
 * Fetches whenever `source` changes to a value other than false/null/undefined.
 * Answers to older requests are dropped.
 */
export function createLoader<S, T> (
  source: Accessor<S | false | null | undefined>,
  fetcher: (source: S) => Promise<T>
): Loader<T> {
  const [data, setData] = createSignal<T | undefined>(undefined)
  const [error, setError] = createSignal<string | null>(null)
  const [loading, setLoading] = createSignal(false)
  let generation = 0

  const load = async (value: S | false | null | undefined, keepData: boolean) => {
    const mine = ++generation
    if (value === false || value === null || value === undefined) {
      setLoading(false)
      return
    }
    if (!keepData) setData(undefined)
    setLoading(true)
    setError(null)
    try {
      const result = await fetcher(value)
      if (mine === generation) setData(() => result)
    } catch (err) {
      if (mine === generation) setError(errorMessage(err))
    } finally {
      if (mine === generation) setLoading(false)
    }
  }

  createEffect(on(source, (value) => { void load(value, false) }))

  return {
    data,
    error,
    loading,
    reload: () => load(source(), true),
    mutate: setData
  }
}
