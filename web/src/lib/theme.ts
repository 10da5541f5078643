// The colour scheme follows the operating system (`prefers-color-scheme`).

import { createSignal, onCleanup, type Accessor } from 'solid-js'

const QUERY = '(prefers-color-scheme: dark)'

/** Whether the page is dark now; updates when the system setting changes. */
export function createDarkMode (): Accessor<boolean> {
  const media = typeof window !== 'undefined' && typeof window.matchMedia === 'function'
    ? window.matchMedia(QUERY)
    : null
  const [dark, setDark] = createSignal(media?.matches ?? false)
  if (media) {
    const listener = (event: MediaQueryListEvent) => setDark(event.matches)
    media.addEventListener('change', listener)
    onCleanup(() => media.removeEventListener('change', listener))
  }
  return dark
}
