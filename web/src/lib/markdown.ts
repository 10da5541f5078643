// The small Markdown of chat messages, parsed into a tree that is rendered as
// DOM nodes (never as HTML): fenced code blocks (with a language), code spans,
// **strong**, *emphasis* / _emphasis_, [links](https://…), bare http(s)
// links, @mentions of members, and line breaks. Anything else is text, so
// `<script>` shows as the characters typed. Links keep only http:, https: and
// mailto: targets; any other scheme (javascript:, data:…) stays plain text.

export type Inline =
  | { kind: 'text', text: string }
  | { kind: 'code', text: string }
  | { kind: 'strong', children: Inline[] }
  | { kind: 'em', children: Inline[] }
  | { kind: 'link', href: string, children: Inline[] }
  | { kind: 'mention', userId: string, text: string }
  | { kind: 'break' }

export type Block =
  | { kind: 'paragraph', children: Inline[] }
  | { kind: 'code', language: string, text: string }

/** A member that `@name` can mention. */
export interface MentionTarget { id: string, name: string, email?: string }

const SAFE_SCHEMES = /^(https?:|mailto:)/i

/** The target of a link if it is one a chat may open, else null. */
export function safeHref (href: string): string | null {
  const trimmed = href.trim()
  if (!SAFE_SCHEMES.test(trimmed)) return null
  try {
    const url = new URL(trimmed)
    return SAFE_SCHEMES.test(url.protocol) ? url.href : null
  } catch {
    return null
  }
}

/** Parses a message into blocks. */
export function parseMessage (text: string, members: readonly MentionTarget[] = []): Block[] {
  const blocks: Block[] = []
  const fence = /```([^\n`]*)\n?([\s\S]*?)(?:```|$)/g
  let last = 0
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    paragraphs(text.slice(last, m.index), members, blocks)
    blocks.push({ kind: 'code', language: m[1].trim().toLowerCase(), text: m[2].replace(/\n$/, '') })
    last = fence.lastIndex
    if (m[0].length === 0) break
  }
  paragraphs(text.slice(last), members, blocks)
  return blocks
}

function paragraphs (text: string, members: readonly MentionTarget[], out: Block[]): void {
  for (const chunk of text.split(/\n{2,}/)) {
    const trimmed = chunk.replace(/^\n+|\n+$/g, '')
    if (trimmed.trim() === '') continue
    out.push({ kind: 'paragraph', children: parseInline(trimmed, members) })
  }
}

/** Parses inline Markdown. */
export function parseInline (text: string, members: readonly MentionTarget[] = []): Inline[] {
  const out: Inline[] = []
  let plain = ''
  const flush = () => {
    if (plain) out.push({ kind: 'text', text: plain })
    plain = ''
  }
  let i = 0
  while (i < text.length) {
    const rest = text.slice(i)
    const c = text[i]
    if (c === '\n') {
      flush()
      out.push({ kind: 'break' })
      i++
      continue
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1)
      if (end > i + 1) {
        flush()
        out.push({ kind: 'code', text: text.slice(i + 1, end) })
        i = end + 1
        continue
      }
    }
    if (rest.startsWith('**')) {
      const end = text.indexOf('**', i + 2)
      if (end > i + 2) {
        flush()
        out.push({ kind: 'strong', children: parseInline(text.slice(i + 2, end), members) })
        i = end + 2
        continue
      }
    }
    if ((c === '*' || c === '_') && !/\w/.test(text[i - 1] ?? '')) {
      const end = text.indexOf(c, i + 1)
      if (end > i + 1 && !/\s/.test(text[i + 1]) && !/\s/.test(text[end - 1]) && !/\w/.test(text[end + 1] ?? '')) {
        flush()
        out.push({ kind: 'em', children: parseInline(text.slice(i + 1, end), members) })
        i = end + 1
        continue
      }
    }
    if (c === '[') {
      const link = /^\[([^\]\n]+)\]\(([^)\s]+)\)/.exec(rest)
      if (link) {
        const href = safeHref(link[2])
        flush()
        if (href) out.push({ kind: 'link', href, children: parseInline(link[1], members) })
        else out.push({ kind: 'text', text: link[0] })
        i += link[0].length
        continue
      }
    }
    if ((c === 'h' || c === 'H') && !/\w/.test(text[i - 1] ?? '')) {
      const bare = /^https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/i.exec(rest)
      const href = bare && safeHref(bare[0])
      if (bare && href) {
        flush()
        out.push({ kind: 'link', href, children: [{ kind: 'text', text: bare[0] }] })
        i += bare[0].length
        continue
      }
    }
    if (c === '@' && !/[\p{L}\p{N}]/u.test(text[i - 1] ?? '')) {
      const mention = matchMention(rest.slice(1), members)
      if (mention) {
        flush()
        out.push({ kind: 'mention', userId: mention.id, text: '@' + rest.slice(1, 1 + mention.length) })
        i += 1 + mention.length
        continue
      }
    }
    plain += c
    i++
  }
  flush()
  return out
}

/** The longest member name (or email user) `text` starts with, as the server matches them. */
function matchMention (text: string, members: readonly MentionTarget[]): { id: string, length: number } | null {
  let best: { id: string, length: number } | null = null
  for (const member of members) {
    for (const handle of [member.name, member.email?.split('@')[0] ?? '']) {
      const h = handle.trim()
      if (!h || text.length < h.length) continue
      if (text.slice(0, h.length).toLowerCase() !== h.toLowerCase()) continue
      if (/[\p{L}\p{N}]/u.test(text[h.length] ?? '')) continue
      if (!best || h.length > best.length) best = { id: member.id, length: h.length }
    }
  }
  return best
}

/** The plain text of inline nodes (for previews and accessible labels). */
export function plainText (nodes: readonly Inline[]): string {
  return nodes.map((node) => {
    switch (node.kind) {
      case 'text': case 'code': case 'mention': return node.text
      case 'strong': case 'em': case 'link': return plainText(node.children)
      case 'break': return '\n'
    }
    return ''
  }).join('')
}
