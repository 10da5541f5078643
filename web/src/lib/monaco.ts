// Monaco, bundled with only the parts the client uses: the core editor, the
// diff editor, keyboard and editing contributions, and syntax highlighting for
// every Monaco language (each tokenizer loads lazily on first use). No language
// services: one base editor worker (diff computation, word ranges). Loaded by
// the editor page only (dynamic import), so other pages stay small.

import * as monaco from 'monaco-editor/esm/vs/editor/editor.api.js'
import 'monaco-editor/esm/vs/editor/browser/coreCommands.js'
import 'monaco-editor/esm/vs/features/codicon/register.js'
import 'monaco-editor/esm/vs/features/codeEditor/register.js'
import 'monaco-editor/esm/vs/features/diffEditor/register.js'
import 'monaco-editor/esm/vs/features/bracketMatching/register.js'
import 'monaco-editor/esm/vs/features/caretOperations/register.js'
import 'monaco-editor/esm/vs/features/clipboard/register.js'
import 'monaco-editor/esm/vs/features/comment/register.js'
import 'monaco-editor/esm/vs/features/contextmenu/register.js'
import 'monaco-editor/esm/vs/features/cursorUndo/register.js'
import 'monaco-editor/esm/vs/features/find/register.js'
import 'monaco-editor/esm/vs/features/folding/register.js'
import 'monaco-editor/esm/vs/features/hover/register.js'
import 'monaco-editor/esm/vs/features/indentation/register.js'
import 'monaco-editor/esm/vs/features/lineSelection/register.js'
import 'monaco-editor/esm/vs/features/linesOperations/register.js'
import 'monaco-editor/esm/vs/features/multicursor/register.js'
import 'monaco-editor/esm/vs/features/readOnlyMessage/register.js'
import 'monaco-editor/esm/vs/features/smartSelect/register.js'
import 'monaco-editor/esm/vs/features/toggleTabFocusMode/register.js'
import 'monaco-editor/esm/vs/features/wordHighlighter/register.js'
import 'monaco-editor/esm/vs/features/wordOperations/register.js'
import 'monaco-editor/esm/vs/features/wordPartOperations/register.js'
import 'monaco-editor/esm/vs/features/gotoLine/register.js'
import 'monaco-editor/esm/vs/features/quickCommand/register.js'
import 'monaco-editor/esm/vs/features/quickHelp/register.js'
import 'monaco-editor/esm/vs/editor/common/standaloneStrings.js'
import 'monaco-editor/esm/vs/languages/definitions/register.all.js'
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker.js?worker'

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker: (workerId: string, label: string) => Worker }
  }
}

window.MonacoEnvironment = {
  getWorker: () => new EditorWorker()
}

// JSON's Monaco support is a language service with its own worker; a small
// tokenizer is enough for collaborative editing.
monaco.languages.register({ id: 'json', extensions: ['.json'], aliases: ['JSON'] })
monaco.languages.setMonarchTokensProvider('json', {
  tokenizer: {
    root: [
      [/"(?:[^"\\]|\\.)*"(?=\s*:)/, 'type'],
      [/"(?:[^"\\]|\\.)*"/, 'string'],
      [/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, 'number'],
      [/\b(?:true|false|null)\b/, 'keyword'],
      [/[{}[\],:]/, 'delimiter']
    ]
  }
})
monaco.languages.setLanguageConfiguration('json', {
  brackets: [['{', '}'], ['[', ']']],
  autoClosingPairs: [{ open: '{', close: '}' }, { open: '[', close: ']' }, { open: '"', close: '"' }]
})

/** Server language ids that Monaco has no tokenizer for, and the closest one. */
const LANGUAGE_FALLBACK: Record<string, string> = {
  toml: 'ini',
  makefile: 'shell',
  haskell: 'plaintext'
}

/** A Monaco language id for the server's language of a document. */
export function monacoLanguage (language: string): string {
  const known = new Set(monaco.languages.getLanguages().map((l) => l.id))
  if (known.has(language)) return language
  const fallback = LANGUAGE_FALLBACK[language]
  return fallback && known.has(fallback) ? fallback : 'plaintext'
}

/** Monaco's theme for the page's colour scheme. */
export function applyTheme (dark: boolean): void {
  monaco.editor.setTheme(dark ? 'vs-dark' : 'vs')
}

export { monaco }
export type Monaco = typeof monaco

export { MonacoBinding } from 'y-monaco'
