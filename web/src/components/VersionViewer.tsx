// A version of a document (read-only), or the changes between two versions or
// a version and the present, in Monaco's diff editor.

import { Show, createEffect, createSignal, getOwner, onCleanup, onMount, runWithOwner } from 'solid-js'
import { errorMessage } from '../api'
import { ErrorText, Loading } from './Feedback'
import { loadMonaco } from './CollabEditor'

export type ViewerMode =
  | { kind: 'view', versionId: string, title: string }
  | { kind: 'diff', from: string, to: string, title: string }

export interface VersionViewerProps {
  mode: ViewerMode
  language: string
  dark: boolean
  /** The text of a version, or of the present for 'current'. */
  textOf: (versionId: string) => Promise<string>
  onClose: () => void
}

export function VersionViewer (props: VersionViewerProps) {
  let host!: HTMLDivElement
  let closeButton!: HTMLButtonElement
  const owner = getOwner()
  const [error, setError] = createSignal<string | null>(null)
  const [loading, setLoading] = createSignal(true)
  let disposed = false
  let cleanup: (() => void) | null = null
  onCleanup(() => { disposed = true; cleanup?.() })

  onMount(async () => {
    closeButton.focus()
    try {
      const mode = props.mode
      const [m, texts] = await Promise.all([
        loadMonaco(),
        mode.kind === 'view'
          ? Promise.all([props.textOf(mode.versionId)])
          : Promise.all([props.textOf(mode.from), props.textOf(mode.to)])
      ])
      if (disposed) return
      const language = m.monacoLanguage(props.language)
      m.applyTheme(props.dark)
      const options = {
        readOnly: true,
        automaticLayout: true,
        minimap: { enabled: false },
        scrollBeyondLastLine: false,
        fontSize: 14,
        wordWrap: 'on' as const
      }
      if (mode.kind === 'view') {
        const model = m.monaco.editor.createModel(texts[0], language)
        const editor = m.monaco.editor.create(host, { ...options, model, ariaLabel: props.mode.title })
        cleanup = () => { editor.dispose(); model.dispose() }
      } else {
        const original = m.monaco.editor.createModel(texts[0], language)
        const modified = m.monaco.editor.createModel(texts[1] ?? '', language)
        const diff = m.monaco.editor.createDiffEditor(host, {
          ...options,
          originalEditable: false,
          renderSideBySide: true,
          useInlineViewWhenSpaceIsLimited: true,
          renderSideBySideInlineBreakpoint: 800
        })
        diff.setModel({ original, modified })
        cleanup = () => { diff.dispose(); original.dispose(); modified.dispose() }
      }
      runWithOwner(owner, () => createEffect(() => m.applyTheme(props.dark)))
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setLoading(false)
    }
  })

  return (
    <section class="viewer" aria-label={props.mode.title} data-testid="version-viewer">
      <div class="viewer-head">
        <h2>{props.mode.title}</h2>
        <button type="button" ref={closeButton} class="secondary small" onClick={() => props.onClose()}>Back to the live document</button>
      </div>
      <Show when={loading()}><Loading what="the version" /></Show>
      <ErrorText message={error()} prefix="Could not show it" />
      <div ref={host} class="viewer-host" data-testid={props.mode.kind === 'diff' ? 'diff-editor' : 'version-editor'} />
    </section>
  )
}
