// A chat message's text, rendered from its parsed Markdown as DOM nodes (Solid
// escapes every string: no HTML from a message is ever interpreted). Code
// blocks are highlighted with Monaco's tokenizers once Monaco has loaded.

import { For, Match, Switch, createResource, type JSX } from 'solid-js'
import { parseMessage, type Block, type Inline, type MentionTarget } from '../lib/markdown'

export interface ChatTextProps {
  text: string
  members?: readonly MentionTarget[]
  /** The signed-in user: mentions of them stand out. */
  selfId?: string
}

export function ChatText (props: ChatTextProps): JSX.Element {
  const blocks = () => parseMessage(props.text, props.members ?? [])
  return (
    <div class="chat-text">
      <For each={blocks()}>{(block) => <BlockView block={block} selfId={props.selfId} />}</For>
    </div>
  )
}

function BlockView (props: { block: Block, selfId?: string }): JSX.Element {
  return (
    <Switch>
      <Match when={props.block.kind === 'code' && props.block}>
        {(code) => <CodeBlock language={code().language} text={code().text} />}
      </Match>
      <Match when={props.block.kind === 'paragraph' && props.block}>
        {(paragraph) => <p><Inlines nodes={paragraph().children} selfId={props.selfId} /></p>}
      </Match>
    </Switch>
  )
}

function Inlines (props: { nodes: readonly Inline[], selfId?: string }): JSX.Element {
  return <For each={props.nodes}>{(node) => <InlineView node={node} selfId={props.selfId} />}</For>
}

function InlineView (props: { node: Inline, selfId?: string }): JSX.Element {
  const node = props.node
  switch (node.kind) {
    case 'text': return <>{node.text}</>
    case 'code': return <code>{node.text}</code>
    case 'strong': return <strong><Inlines nodes={node.children} selfId={props.selfId} /></strong>
    case 'em': return <em><Inlines nodes={node.children} selfId={props.selfId} /></em>
    case 'link':
      return <a href={node.href} target="_blank" rel="noopener noreferrer nofollow"><Inlines nodes={node.children} selfId={props.selfId} /></a>
    case 'mention':
      return <span class="mention" classList={{ 'mention-self': node.userId === props.selfId }} data-user-id={node.userId}>{node.text}</span>
    case 'break': return <br />
  }
}

/** One highlighted line: (class, text) pieces. */
type Line = Array<[string, string]>

async function highlight (text: string, language: string): Promise<Line[] | null> {
  if (!language) return null
  const { monaco } = await import('../lib/monaco')
  const known = monaco.languages.getLanguages().find((l) => l.id === language || l.aliases?.some((a) => a.toLowerCase() === language) || l.extensions?.includes('.' + language))
  if (!known) return null
  const lines = text.split('\n')
  const tokens = monaco.editor.tokenize(text, known.id)
  return lines.map((line, n) => {
    const lineTokens = tokens[n] ?? []
    return lineTokens.map((token, t): [string, string] => {
      const end = lineTokens[t + 1]?.offset ?? line.length
      const kind = token.type.split('.')[0]
      return [kind ? `tok-${kind}` : '', line.slice(token.offset, end)]
    })
  })
}

function CodeBlock (props: { language: string, text: string }): JSX.Element {
  const [lines] = createResource(() => [props.text, props.language] as const, ([text, language]) => highlight(text, language).catch(() => null))
  return (
    <pre class="chat-code" data-language={props.language || undefined}>
      <code>
        <Switch fallback={props.text}>
          <Match when={lines()}>
            {(highlighted) => (
              <For each={highlighted()}>
                {(line, n) => <>{n() > 0 ? '\n' : ''}<For each={line}>{([cls, piece]) => <span class={cls}>{piece}</span>}</For></>}
              </For>
            )}
          </Match>
        </Switch>
      </code>
    </pre>
  )
}
