// CSS for y-monaco's remote selections: each awareness client gets its colour
// and a name label on its cursor (`.yRemoteSelection-<id>`, `.yRemoteSelectionHead-<id>`).

import { cssString, withAlpha } from './colors'

export interface CursorOwner {
  clientId: number
  name: string
  color: string
}

/**
 * One rule set per client. The name label shows while the person is moving
 * (`recent`), then fades so that it does not hide the text; the cursor stays.
 */
export function cursorCss (owners: readonly CursorOwner[], recent: ReadonlySet<number> = new Set()): string {
  return owners.map(({ clientId, name, color }) => {
    const id = Math.trunc(clientId)
    const opacity = recent.has(clientId) ? 1 : 0
    return [
      `.yRemoteSelection-${id} { background-color: ${withAlpha(color, 0.28)}; }`,
      `.yRemoteSelectionHead-${id} { border-color: ${color}; }`,
      `.yRemoteSelectionHead-${id}::after { content: ${cssString(name)}; background-color: ${color}; opacity: ${opacity}; }`
    ].join('\n')
  }).join('\n')
}
