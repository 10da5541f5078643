// Monaco bound to the document's Y.Text through y-monaco: remote cursors and
// selections in each person's colour with their name, read-only for viewers,
// Monaco's theme following the page's.

import { Show, createEffect, createSignal, getOwner, onCleanup, onMount, runWithOwner } from 'solid-js'
import { errorMessage } from '../api'
import { cursorCss } from '../lib/cursors'
import type { CollabStore } from '../stores/collab'
import { ErrorText } from './Feedback'

type MonacoModule = typeof import('../lib/monaco')
type Editor = import('monaco-editor/esm/vs/editor/editor.api.js').editor.IStandaloneCodeEditor

export interface CollabEditorProps {
  collab: CollabStore
  language: string
  path: string
  readOnly: boolean
  dark: boolean
  /** Hidden (kept alive) while a version is shown instead. */
  hidden?: boolean
}

/** How long a remote cursor's name stays visible after it moved. */
const LABEL_SECONDS = 4

/** Monaco loads once, on first use. */
let monacoPromise: Promise<MonacoModule> | null = null
export function loadMonaco (): Promise<MonacoModule> {
  monacoPromise ??= import('../lib/monaco')
  monacoPromise.catch(() => { monacoPromise = null })
  return monacoPromise
}

export function CollabEditor (props: CollabEditorProps) {
  let host!: HTMLDivElement
  const owner = getOwner()
  const [error, setError] = createSignal<string | null>(null)
  const [ready, setReady] = createSignal(false)
  let disposed = false
  let cleanup: (() => void) | null = null
  onCleanup(() => {
    disposed = true
    cleanup?.()
  })

  onMount(async () => {
    let m: MonacoModule
    try {
      m = await loadMonaco()
    } catch (err) {
      setError(`The editor could not be loaded (${errorMessage(err)}). Reload the page to try again.`)
      return
    }
    if (disposed) return
    const model = m.monaco.editor.createModel('', m.monacoLanguage(props.language))
    m.applyTheme(props.dark)
    const editor: Editor = m.monaco.editor.create(host, {
      model,
      readOnly: props.readOnly,
      readOnlyMessage: { value: 'You can read this document and follow along, but viewers cannot edit it.' },
      automaticLayout: true,
      minimap: { enabled: false },
      padding: { top: 18, bottom: 8 },
      fontSize: 14,
      scrollBeyondLastLine: false,
      renderLineHighlight: 'line',
      ariaLabel: `${props.path}${props.readOnly ? ' (read-only)' : ''}. Press Control+M to let Tab move the focus out of the editor.`,
      wordWrap: 'on',
      fixedOverflowWidgets: true
    })
    const binding = new m.MonacoBinding(props.collab.text, model, new Set([editor]), props.collab.awareness)
    cleanup = () => {
      binding.destroy()
      editor.dispose()
      model.dispose()
    }
    // Exposed for tests and debugging only.
    ;(host as HTMLDivElement & { __editor?: Editor }).__editor = editor
    runWithOwner(owner, () => {
      createEffect(() => editor.updateOptions({ readOnly: props.readOnly }))
      createEffect(() => m.monaco.editor.setModelLanguage(model, m.monacoLanguage(props.language)))
      createEffect(() => m.applyTheme(props.dark))
      createEffect(() => { if (!props.hidden) editor.layout() })
    })
    // Opening a file is meant for working in it.
    if (!props.hidden) editor.focus()
    setReady(true)
  })

  // Whose cursor moved in the last few seconds: their name label shows.
  const [recent, setRecent] = createSignal<ReadonlySet<number>>(new Set())
  const fadeTimers = new Map<number, ReturnType<typeof setTimeout>>()
  const onAwareness = ({ added, updated }: { added: number[], updated: number[] }) => {
    const self = props.collab.doc.clientID
    const moved = [...added, ...updated].filter((id) => id !== self)
    if (moved.length === 0) return
    setRecent((prev) => new Set([...prev, ...moved]))
    for (const id of moved) {
      clearTimeout(fadeTimers.get(id))
      fadeTimers.set(id, setTimeout(() => {
        fadeTimers.delete(id)
        setRecent((prev) => {
          const next = new Set(prev)
          next.delete(id)
          return next
        })
      }, LABEL_SECONDS * 1000))
    }
  }
  props.collab.awareness.on('change', onAwareness)
  onCleanup(() => {
    props.collab.awareness.off('change', onAwareness)
    for (const timer of fadeTimers.values()) clearTimeout(timer)
  })

  const remoteCss = () => cursorCss(props.collab.peers().filter((p) => !p.self), recent())

  return (
    <div class="editor-wrap" classList={{ hidden: props.hidden }}>
      <style>{remoteCss()}</style>
      <ErrorText message={error()} />
      <div ref={host} class="editor-host" data-testid="editor" data-ready={ready() ? 'true' : 'false'} />
      <Show when={ready()}>
        <p class="editor-hint muted small-text">
          Tab indents; press <kbd>Ctrl</kbd>+<kbd>M</kbd> to make Tab move focus instead. <kbd>F1</kbd> lists commands.
        </p>
      </Show>
    </div>
  )
}
