// The chat of one room: its messages (older ones loaded on demand), who is
// typing, and the box to write in. Every message body goes through ChatText
// (parsed Markdown rendered as DOM nodes, never HTML). Authors edit and delete
// their messages; owners delete any. Enter sends, Shift+Enter starts a line.

import { For, Show, createEffect, createSignal, on, onMount, type JSX } from 'solid-js'
import { errorMessage, ApiError } from '../api'
import { MAX_MESSAGE_CHARS, canDeleteMessage, canEditMessage, charCount, startsGroup, typingText } from '../lib/chat'
import type { MentionTarget } from '../lib/markdown'
import { chatTime, fullTime, isoTime } from '../lib/time'
import { createAction } from '../stores/action'
import type { RoomHistory } from '../stores/chat'
import type { ChatMessage, Room, Typist } from '../types'
import { ChatText } from './ChatText'
import { ErrorText, Loading } from './Feedback'
import { PencilIcon, TrashIcon } from './Icons'

export interface ChatPanelProps {
  room: Room | undefined
  history: RoomHistory
  selfId: string | undefined
  /** Owners may delete anyone's message. */
  isOwner: boolean
  members: readonly MentionTarget[]
  typing: readonly Typist[]
  onLoadOlder: () => void
  onRetry: () => void
  onSend: (text: string) => Promise<unknown>
  onEdit: (messageId: string, text: string) => Promise<unknown>
  onDelete: (message: ChatMessage) => Promise<unknown>
  /** The text being written changed (typing notices). */
  onInput: (text: string) => void
  /** Shown above the box, e.g. that the live connection is down. */
  notice?: JSX.Element
}

/** Words for a failed send: the server's message, and when to try again after a 429. */
export function sendErrorText (err: unknown): string {
  const words = errorMessage(err)
  if (err instanceof ApiError && err.status === 429 && err.retryAfter !== null && !/\d/.test(words)) {
    return `${words} Try again in ${err.retryAfter} s.`
  }
  return words
}

const NEAR_BOTTOM = 48

export function ChatPanel (props: ChatPanelProps) {
  let scroller: HTMLDivElement | undefined
  let stick = true
  let prepend: { height: number, top: number } | null = null

  const name = () => props.room?.name ?? 'room'
  const archived = () => props.room?.archived === true
  const messages = () => props.history.messages

  const loadOlder = () => {
    if (!props.history.loaded || props.history.complete || props.history.loadingOlder) return
    if (scroller) prepend = { height: scroller.scrollHeight, top: scroller.scrollTop }
    props.onLoadOlder()
  }

  const onScroll = () => {
    if (!scroller) return
    stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM
    if (scroller.scrollTop < NEAR_BOTTOM) loadOlder()
  }

  // New messages: stay at the bottom if the reader was there; older ones
  // added above: keep what the reader looks at in place.
  createEffect(on(messages, () => {
    if (!scroller) return
    if (prepend) {
      scroller.scrollTop = scroller.scrollHeight - prepend.height + prepend.top
      prepend = null
    } else if (stick) {
      scroller.scrollTop = scroller.scrollHeight
    }
  }))
  createEffect(on(() => props.history.loadingOlder, (loading) => { if (!loading && props.history.error) prepend = null }, { defer: true }))
  onMount(() => { if (scroller) scroller.scrollTop = scroller.scrollHeight })

  return (
    <section class="chat" aria-label={`Chat in #${name()}`} data-testid="chat" data-room-id={props.room?.id}>
      <div class="chat-scroll" ref={scroller} onScroll={onScroll}>
        <Show when={props.history.loaded && !props.history.complete}>
          <div class="chat-older">
            <button type="button" class="link" data-testid="load-older" disabled={props.history.loadingOlder} onClick={loadOlder}>
              {props.history.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
            </button>
          </div>
        </Show>
        <Show when={props.history.loaded && props.history.complete && messages().length > 0}>
          <p class="chat-start muted small-text">This is the start of #{name()}.</p>
        </Show>
        <Show when={props.history.loading && !props.history.loaded}><Loading what="messages" /></Show>
        <Show when={props.history.error}>
          <ErrorText message={props.history.error} prefix="Could not load messages" />
          <button type="button" class="secondary small" onClick={() => props.onRetry()}>Try again</button>
        </Show>
        <Show when={props.history.loaded && messages().length === 0}>
          <p class="muted chat-empty">No messages in #{name()} yet. Say hello!</p>
        </Show>
        <ol class="chat-messages" role="log" aria-label={`Messages in #${name()}`}>
          <For each={messages()}>
            {(message, i) => (
              <MessageItem
                message={message}
                grouped={!startsGroup(message, messages()[i() - 1])}
                selfId={props.selfId}
                isOwner={props.isOwner}
                members={props.members}
                onEdit={(text) => props.onEdit(message.id, text)}
                onDelete={() => props.onDelete(message)}
              />
            )}
          </For>
        </ol>
      </div>
      <div class="chat-typing" data-testid="typing-indicator" aria-live="polite">{typingText(props.typing)}</div>
      {props.notice}
      <Show when={!archived()} fallback={<p class="chat-archived muted">#{name()} is archived: nobody can write here.</p>}>
        <Composer roomName={name()} onSend={props.onSend} onInput={props.onInput} />
      </Show>
    </section>
  )
}

function Composer (props: { roomName: string, onSend: (text: string) => Promise<unknown>, onInput: (text: string) => void }) {
  const [text, setText] = createSignal('')
  const [sending, setSending] = createSignal(false)
  const [sendError, setSendError] = createSignal<string | null>(null)
  let input: HTMLTextAreaElement | undefined
  const submit = async () => {
    const value = text().trimEnd()
    if (value.trim() === '' || sending()) return
    setSendError(null)
    setSending(true)
    try {
      await props.onSend(value)
      // What was typed meanwhile stays.
      setText((now) => (now.startsWith(value) ? now.slice(value.length).trimStart() : now))
      props.onInput(text())
    } catch (err) {
      setSendError(sendErrorText(err))
    } finally {
      setSending(false)
    }
    input?.focus()
  }
  const count = () => charCount(text())
  return (
    <form class="chat-composer" onSubmit={(e) => { e.preventDefault(); void submit() }}>
      <ErrorText message={sendError()} prefix="Not sent" onDismiss={() => setSendError(null)} />
      <div class="chat-composer-row">
        <textarea
          ref={input}
          data-testid="chat-input"
          class="chat-input"
          rows="1"
          aria-label={`Message #${props.roomName}`}
          placeholder={`Message #${props.roomName}`}
          value={text()}
          onInput={(e) => {
            setText(e.currentTarget.value)
            props.onInput(e.currentTarget.value)
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
              e.preventDefault()
              void submit()
            }
          }}
        />
        <button type="submit" disabled={text().trim() === '' || sending()}>Send</button>
      </div>
      <p class="hint chat-hint">
        <span><kbd>Enter</kbd> sends, <kbd>Shift</kbd>+<kbd>Enter</kbd> starts a new line. **bold**, *italic*, `code`, @name.</span>
        <Show when={count() > MAX_MESSAGE_CHARS - 500}>
          <span classList={{ 'too-long': count() > MAX_MESSAGE_CHARS }} data-testid="char-count">{count()} / {MAX_MESSAGE_CHARS}</span>
        </Show>
      </p>
    </form>
  )
}

function MessageItem (props: {
  message: ChatMessage
  grouped: boolean
  selfId: string | undefined
  isOwner: boolean
  members: readonly MentionTarget[]
  onEdit: (text: string) => Promise<unknown>
  onDelete: () => Promise<unknown>
}) {
  const [mode, setMode] = createSignal<'view' | 'edit' | 'delete'>('view')
  const [draft, setDraft] = createSignal('')
  const action = createAction(async (work: () => Promise<unknown>) => {
    await work()
    setMode('view')
  })
  const mine = () => props.message.author_id === props.selfId
  const mentionsMe = () => !!props.selfId && props.message.mentions.includes(props.selfId)
  const canEdit = () => canEditMessage(props.message, props.selfId)
  const canDelete = () => canDeleteMessage(props.message, props.selfId, props.isOwner)
  const startEdit = () => {
    action.clearError()
    setDraft(props.message.text)
    setMode('edit')
  }
  const saveEdit = () => {
    const value = draft().trimEnd()
    if (value.trim() === '') return
    if (value === props.message.text) {
      setMode('view')
      return
    }
    void action.run(() => props.onEdit(value))
  }

  return (
    <li
      class="chat-message"
      classList={{ mine: mine(), 'mentions-me': mentionsMe(), grouped: props.grouped && mode() === 'view' }}
      data-testid="chat-message"
      data-message-id={props.message.id}
      data-author-id={props.message.author_id}
      data-mentions-me={mentionsMe() ? 'true' : undefined}
    >
      <div class="chat-meta">
        <span class="chat-author">{props.message.author_name}</span>
        <time class="chat-time muted" datetime={isoTime(props.message.created_at)} title={fullTime(props.message.created_at)}>
          {chatTime(props.message.created_at)}
        </time>
        <Show when={props.message.edited_at}>
          {(at) => <span class="chat-edited muted" data-testid="edited-marker" title={`Edited ${fullTime(at())}`}>(edited)</span>}
        </Show>
        <Show when={mode() === 'view' && (canEdit() || canDelete())}>
          <span class="row-actions chat-actions">
            <Show when={canEdit()}>
              <button type="button" class="icon" aria-label="Edit message" title="Edit" data-testid="edit-message" onClick={startEdit}>
                <PencilIcon />
              </button>
            </Show>
            <Show when={canDelete()}>
              <button type="button" class="icon" aria-label="Delete message" title="Delete" data-testid="delete-message"
                onClick={() => { action.clearError(); setMode('delete') }}>
                <TrashIcon />
              </button>
            </Show>
          </span>
        </Show>
      </div>
      <Show when={mode() === 'edit'} fallback={<ChatText text={props.message.text} members={props.members} selfId={props.selfId} />}>
        <form class="chat-edit" onSubmit={(e) => { e.preventDefault(); saveEdit() }}>
          <textarea
            aria-label="Edit message"
            data-testid="edit-input"
            value={draft()}
            ref={(el) => queueMicrotask(() => { el.focus(); el.setSelectionRange(el.value.length, el.value.length) })}
            onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') { e.preventDefault(); setMode('view') }
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); saveEdit() }
            }}
          />
          <div class="row-gap">
            <button type="submit" class="small" disabled={action.pending() || draft().trim() === ''}>Save</button>
            <button type="button" class="secondary small" onClick={() => setMode('view')}>Cancel</button>
          </div>
        </form>
      </Show>
      <Show when={mode() === 'delete'}>
        <div class="chat-confirm" role="group" aria-label="Delete this message?">
          <span>Delete this message{mine() ? '' : ` by ${props.message.author_name}`}?</span>
          <button type="button" class="danger small" disabled={action.pending()} data-testid="confirm-delete"
            onClick={() => void action.run(props.onDelete)}>Delete</button>
          <button type="button" class="secondary small" onClick={() => setMode('view')}>Cancel</button>
        </div>
      </Show>
      <ErrorText message={action.error()} prefix={mode() === 'delete' ? 'Could not delete' : 'Could not save'} onDismiss={action.clearError} />
    </li>
  )
}
