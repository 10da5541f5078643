import { render } from '@solidjs/testing-library'
import { describe, expect, it } from 'vitest'
import { ChatText } from '../src/components/ChatText'
import { parseInline, parseMessage, plainText, safeHref } from '../src/lib/markdown'

const team = [
  { id: 'u-ada', name: 'Ada Lovelace', email: 'ada@example.org' },
  { id: 'u-bob', name: 'Bob', email: 'bob@example.org' }
]

describe('chat markdown', () => {
  it('parses code spans, emphasis, strong, links and line breaks', () => {
    expect(parseInline('a `x<y>` **b** *c* _d_ [site](https://example.org/a?b=1)\nnext')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'code', text: 'x<y>' },
      { kind: 'text', text: ' ' },
      { kind: 'strong', children: [{ kind: 'text', text: 'b' }] },
      { kind: 'text', text: ' ' },
      { kind: 'em', children: [{ kind: 'text', text: 'c' }] },
      { kind: 'text', text: ' ' },
      { kind: 'em', children: [{ kind: 'text', text: 'd' }] },
      { kind: 'text', text: ' ' },
      { kind: 'link', href: 'https://example.org/a?b=1', children: [{ kind: 'text', text: 'site' }] },
      { kind: 'break' },
      { kind: 'text', text: 'next' }
    ])
  })

  it('keeps code blocks whole, with their language', () => {
    const blocks = parseMessage('look:\n```rust\nfn main() { let a = *b; }\n```\nafter')
    expect(blocks).toEqual([
      { kind: 'paragraph', children: [{ kind: 'text', text: 'look:' }] },
      { kind: 'code', language: 'rust', text: 'fn main() { let a = *b; }' },
      { kind: 'paragraph', children: [{ kind: 'text', text: 'after' }] }
    ])
  })

  it('only lets safe link targets through', () => {
    expect(safeHref('javascript:alert(1)')).toBeNull()
    expect(safeHref(' JavaScript:alert(1)')).toBeNull()
    expect(safeHref('data:text/html,<script>')).toBeNull()
    expect(safeHref('mailto:ada@example.org')).toBe('mailto:ada@example.org')
    expect(parseInline('[click](javascript:alert(1))')).toEqual([{ kind: 'text', text: '[click](javascript:alert(1)' }, { kind: 'text', text: ')' }])
    expect(parseInline('see https://example.org/x.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', href: 'https://example.org/x', children: [{ kind: 'text', text: 'https://example.org/x' }] },
      { kind: 'text', text: '.' }
    ])
  })

  it('finds mentions as the server does: longest name, not inside words', () => {
    const nodes = parseInline('@ada lovelace and @Bob, not bob@example.org or @Bobby', team)
    expect(nodes.filter((n) => n.kind === 'mention')).toEqual([
      { kind: 'mention', userId: 'u-ada', text: '@ada lovelace' },
      { kind: 'mention', userId: 'u-bob', text: '@Bob' }
    ])
    expect(plainText(nodes)).toBe('@ada lovelace and @Bob, not bob@example.org or @Bobby')
  })

  it('renders HTML in a message as text, never as markup', () => {
    const { container } = render(() => <ChatText text={'<script>window.pwned = 1</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))'} />)
    expect(container.querySelector('script')).toBeNull()
    expect(container.querySelector('img')).toBeNull()
    expect(container.querySelector('a')).toBeNull()
    expect(container.textContent).toContain('<script>window.pwned = 1</script>')
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined()
  })

  it('highlights the signed-in member when mentioned, and opens links safely', () => {
    const { container } = render(() => <ChatText text="hi @Bob see https://example.org" members={team} selfId="u-bob" />)
    const mention = container.querySelector('.mention')
    expect(mention?.classList.contains('mention-self')).toBe(true)
    const link = container.querySelector('a')
    expect(link?.getAttribute('rel')).toContain('noopener')
    expect(link?.getAttribute('href')).toBe('https://example.org/')
  })
})
