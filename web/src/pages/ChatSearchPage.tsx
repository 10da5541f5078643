// `/w/:workspaceId/mentions` (messages that mention me) and
// `/w/:workspaceId/search?q=` (message search): lists of messages from every
// room of the workspace, each with its room and a link there.

import { A, useNavigate, useParams, useSearchParams } from '@solidjs/router'
import { For, Show, createEffect, on, onMount } from 'solid-js'
import { ChatText } from '../components/ChatText'
import { ErrorText, Loading } from '../components/Feedback'
import { useAuth } from '../context'
import type { MentionTarget } from '../lib/markdown'
import { chatTime, fullTime, isoTime } from '../lib/time'
import type { ChatMessage } from '../types'
import { useWorkspace } from './WorkspaceLayout'

export function MessageResults (props: {
  workspaceId: string
  messages: readonly ChatMessage[]
  roomName: (roomId: string) => string | undefined
  members: readonly MentionTarget[]
  selfId: string | undefined
}) {
  return (
    <ol class="result-list">
      <For each={props.messages}>
        {(message) => (
          <li class="chat-message result" classList={{ 'mentions-me': !!props.selfId && message.mentions.includes(props.selfId) }}
            data-testid="result-message" data-message-id={message.id}>
            <div class="chat-meta">
              <A href={`/w/${props.workspaceId}/r/${message.room_id}`} class="result-room">#{props.roomName(message.room_id) ?? 'room'}</A>
              <span class="chat-author">{message.author_name}</span>
              <time class="chat-time muted" datetime={isoTime(message.created_at)} title={fullTime(message.created_at)}>
                {chatTime(message.created_at)}
              </time>
              <Show when={message.edited_at}><span class="chat-edited muted">(edited)</span></Show>
            </div>
            <ChatText text={message.text} members={props.members} selfId={props.selfId} />
          </li>
        )}
      </For>
    </ol>
  )
}

function useChatContext () {
  const { workspace, chat } = useWorkspace()
  const auth = useAuth()
  return {
    workspace,
    chat,
    selfId: () => auth.user()?.id,
    members: () => (workspace.members.data() ?? []).map((m) => ({ id: m.user_id, name: m.name, email: m.email })),
    roomName: (id: string) => chat.room(id)?.name
  }
}

export function MentionsPage () {
  const params = useParams<{ workspaceId: string }>()
  const { chat, selfId, members, roomName } = useChatContext()
  onMount(() => { void chat.loadMentions() })
  return (
    <div class="page chat-page" data-testid="mentions-page">
      <h1>Mentions</h1>
      <p class="muted">Messages in this workspace that mention you, newest first.</p>
      <ErrorText message={chat.mentions().error} prefix="Could not load the mentions" />
      <Show when={chat.mentions().loaded} fallback={<Show when={chat.mentions().loading}><Loading what="mentions" /></Show>}>
        <Show when={chat.mentions().messages.length > 0} fallback={<p class="muted">Nobody has mentioned you yet.</p>}>
          <MessageResults workspaceId={params.workspaceId} messages={chat.mentions().messages} roomName={roomName}
            members={members()} selfId={selfId()} />
        </Show>
        <Show when={!chat.mentions().complete}>
          <button type="button" class="secondary small" disabled={chat.mentions().loading}
            onClick={() => { void chat.loadOlderMentions() }}>Older mentions</button>
        </Show>
      </Show>
    </div>
  )
}

export function SearchPage () {
  const params = useParams<{ workspaceId: string }>()
  const [search] = useSearchParams<{ q?: string }>()
  const navigate = useNavigate()
  const { chat, selfId, members, roomName } = useChatContext()
  const q = () => (typeof search.q === 'string' ? search.q : '')
  createEffect(on(q, (query) => chat.search(query)))
  let input!: HTMLInputElement
  return (
    <div class="page chat-page" data-testid="search-page">
      <h1>Search messages</h1>
      <form class="inline-form" role="search" onSubmit={(e) => {
        e.preventDefault()
        const value = input.value.trim()
        navigate(`/w/${params.workspaceId}/search${value ? `?q=${encodeURIComponent(value)}` : ''}`)
      }}>
        <label>Words to find <input ref={input} name="q" type="search" value={q()} autocomplete="off" data-testid="search-input" /></label>
        <button type="submit">Search</button>
      </form>
      <ErrorText message={chat.results.error()} prefix="Search failed" />
      <Show when={q().trim()} fallback={<p class="muted">Type words to find messages in every room of this workspace.</p>}>
        <Show when={chat.results.data()} fallback={<Show when={chat.results.loading()}><Loading what="results" /></Show>}>
          {(results) => (
            <Show when={results().length > 0} fallback={<p class="muted">No messages match “{q()}”.</p>}>
              <p class="muted" role="status">{results().length} message{results().length === 1 ? '' : 's'} match “{q()}”.</p>
              <MessageResults workspaceId={params.workspaceId} messages={results()} roomName={roomName}
                members={members()} selfId={selfId()} />
            </Show>
          )}
        </Show>
      </Show>
    </div>
  )
}
