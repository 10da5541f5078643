// Colours and initials that identify a person in presence lists and cursors.

/** Colours readable as a cursor and as a label background with white text, in both themes. */
export const PALETTE = [
  '#d6336c', '#1c7ed6', '#2b8a3e', '#e8590c', '#7048e8', '#0c8599',
  '#c2255c', '#5c7cfa', '#099268', '#f76707', '#ae3ec9', '#1098ad'
] as const

/** A stable colour for a user id (same person, same colour, everywhere). */
export function colorFor (id: string): string {
  let hash = 2166136261
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 16777619)
  }
  return PALETTE[(hash >>> 0) % PALETTE.length]
}

/** Up to two initials of a display name ("Ada Lovelace" → "AL"). */
export function initials (name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  if (words.length === 0) return '?'
  const letters = words.length === 1
    ? Array.from(words[0]).slice(0, 2)
    : [Array.from(words[0])[0], Array.from(words[words.length - 1])[0]]
  return letters.join('').toUpperCase()
}

/** `#rrggbb` → `rgba(r, g, b, alpha)`. */
export function withAlpha (hex: string, alpha: number): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) return hex
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h, 16))
  return `rgba(${r}, ${g}, ${b}, ${alpha})`
}

/** A string as a CSS string literal (for `content:`). */
export function cssString (text: string): string {
  return '"' + text.replace(/[\\"]/g, (c) => '\\' + c).replace(/[\n\r\f]/g, ' ') + '"'
}

/** Keeps only a `#rrggbb` colour (awareness states come from other clients). */
export function safeColor (value: unknown, fallback: string): string {
  return typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value) ? value : fallback
}

/**
 * `current` unless someone else already shows it, else the first palette
 * colour after `current` that nobody in `taken` uses (or `current` when all are).
 */
export function pickColor (current: string, taken: ReadonlySet<string>): string {
  if (!taken.has(current)) return current
  const start = Math.max(0, PALETTE.indexOf(current as typeof PALETTE[number]))
  for (let i = 1; i <= PALETTE.length; i++) {
    const candidate = PALETTE[(start + i) % PALETTE.length]
    if (!taken.has(candidate)) return candidate
  }
  return current
}
