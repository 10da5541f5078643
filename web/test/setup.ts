// Vitest setup: jsdom lacks matchMedia.
if (typeof window !== 'undefined' && !window.matchMedia) {
  window.matchMedia = (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addEventListener: () => {},
    removeEventListener: () => {},
    addListener: () => {},
    removeListener: () => {},
    dispatchEvent: () => false
  }) as MediaQueryList
}

// Unmount what a test rendered (Vitest runs without globals here).
import { afterEach } from 'vitest'
import { cleanup } from '@solidjs/testing-library'
afterEach(() => cleanup())
