// Folders are path prefixes: builds the file tree of a workspace from its
// documents' paths, and computes the renames that move a folder.

import type { DocumentInfo } from '../types'

export interface FileNode {
  kind: 'file'
  name: string
  path: string
  doc: DocumentInfo
}

export interface FolderNode {
  kind: 'folder'
  name: string
  /** The folder's full path, without a trailing slash ('' for the root). */
  path: string
  children: TreeNode[]
}

export type TreeNode = FileNode | FolderNode

/** The tree of `docs`: folders first, then files, each sorted by name. */
export function buildTree (docs: readonly DocumentInfo[]): FolderNode {
  const root: FolderNode = { kind: 'folder', name: '', path: '', children: [] }
  const folders = new Map<string, FolderNode>([['', root]])
  const folderOf = (path: string): FolderNode => {
    const existing = folders.get(path)
    if (existing) return existing
    const cut = path.lastIndexOf('/')
    const parent = folderOf(cut < 0 ? '' : path.slice(0, cut))
    const folder: FolderNode = { kind: 'folder', name: path.slice(cut + 1), path, children: [] }
    parent.children.push(folder)
    folders.set(path, folder)
    return folder
  }
  for (const doc of docs) {
    const cut = doc.path.lastIndexOf('/')
    const parent = folderOf(cut < 0 ? '' : doc.path.slice(0, cut))
    parent.children.push({ kind: 'file', name: doc.path.slice(cut + 1), path: doc.path, doc })
  }
  const sort = (folder: FolderNode) => {
    folder.children.sort((a, b) =>
      a.kind !== b.kind ? (a.kind === 'folder' ? -1 : 1) : a.name.localeCompare(b.name))
    for (const child of folder.children) if (child.kind === 'folder') sort(child)
  }
  sort(root)
  return root
}

/** Every document inside folder `prefix` (at any depth). */
export function documentsUnder (docs: readonly DocumentInfo[], prefix: string): DocumentInfo[] {
  const start = prefix.replace(/\/+$/, '') + '/'
  return docs.filter((d) => d.path.startsWith(start))
}

/** The new path of each document when folder `from` becomes `to`. */
export function folderMoves (docs: readonly DocumentInfo[], from: string, to: string): Array<{ doc: DocumentInfo, path: string }> {
  const source = from.replace(/\/+$/, '')
  const target = to.trim().replace(/^\/+|\/+$/g, '')
  return documentsUnder(docs, source).map((doc) => ({
    doc,
    path: (target ? target + '/' : '') + doc.path.slice(source.length + 1)
  }))
}

/** The folder part of a path ('' at the root). */
export function parentFolder (path: string): string {
  const cut = path.lastIndexOf('/')
  return cut < 0 ? '' : path.slice(0, cut)
}

/** Normalizes what a person typed as a path: trims, drops leading and trailing slashes. */
export function cleanPath (path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/')
}

/**
 * Paths a branch document may have been forked from. The server names a
 * branch of `src/main.rs` called `fix` `src/main@fix.rs` (`README@fix` without
 * an extension); branch names may contain dots, so every reading is offered.
 */
export function branchOriginCandidates (path: string): string[] {
  const folder = parentFolder(path)
  const file = path.slice(folder ? folder.length + 1 : 0)
  const out = new Set<string>()
  for (let at = file.indexOf('@'); at > 0; at = file.indexOf('@', at + 1)) {
    const stem = file.slice(0, at)
    const rest = file.slice(at + 1)
    const dot = rest.lastIndexOf('.')
    if (dot > 0) out.add(stem + rest.slice(dot))
    out.add(stem)
  }
  return [...out].map((name) => (folder ? `${folder}/${name}` : name))
}
