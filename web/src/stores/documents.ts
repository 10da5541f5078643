// The documents of one workspace as a file tree: create, rename/move and
// delete files and folders (a folder is a path prefix, so renaming one moves
// every document under it).

import { createMemo, type Accessor } from 'solid-js'
import { api as defaultApi, type Api } from '../api'
import type { DocumentInfo } from '../types'
import { buildTree, cleanPath, documentsUnder, folderMoves, type FolderNode } from '../lib/tree'
import { createLoader, type Loader } from './loader'

export interface DocumentsStore {
  list: Loader<DocumentInfo[]>
  tree: Accessor<FolderNode>
  byId: (id: string) => DocumentInfo | undefined
  create: (path: string) => Promise<DocumentInfo>
  /** Renames or moves a file to `path`. */
  move: (docId: string, path: string) => Promise<DocumentInfo>
  remove: (docId: string) => Promise<void>
  /** Renames or moves folder `from` to `to` (every document under it). */
  moveFolder: (from: string, to: string) => Promise<void>
  /** Deletes every document under folder `prefix`. */
  removeFolder: (prefix: string) => Promise<void>
}

export function createDocuments (workspaceId: Accessor<string>, agent: Api = defaultApi): DocumentsStore {
  const list = createLoader(workspaceId, (ws) => agent.documents.list(ws))
  const tree = createMemo(() => buildTree(list.data() ?? []))
  const replace = (doc: DocumentInfo) =>
    list.mutate((prev) => [...(prev ?? []).filter((d) => d.id !== doc.id), doc])
  const drop = (id: string) => list.mutate((prev) => (prev ?? []).filter((d) => d.id !== id))

  return {
    list,
    tree,
    byId: (id) => list.data()?.find((d) => d.id === id),
    create: async (path) => {
      const doc = await agent.documents.create(workspaceId(), cleanPath(path))
      replace(doc)
      return doc
    },
    move: async (docId, path) => {
      const doc = await agent.documents.move(docId, cleanPath(path))
      replace(doc)
      return doc
    },
    remove: async (docId) => {
      await agent.documents.remove(docId)
      drop(docId)
    },
    moveFolder: async (from, to) => {
      const moves = folderMoves(list.data() ?? [], from, cleanPath(to))
      // One at a time, so that a failure leaves a clear state (the list is reloaded).
      try {
        for (const { doc, path } of moves) replace(await agent.documents.move(doc.id, path))
      } finally {
        await list.reload()
      }
    },
    removeFolder: async (prefix) => {
      const docs = documentsUnder(list.data() ?? [], prefix)
      try {
        for (const doc of docs) {
          await agent.documents.remove(doc.id)
          drop(doc.id)
        }
      } finally {
        await list.reload()
      }
    }
  }
}
