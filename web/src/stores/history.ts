// Version history of one document: versions, branches, naming the present as
// a version, restoring one, forking a branch and merging it back.

import { type Accessor } from 'solid-js'
import { api as defaultApi, type Api } from '../api'
import type { Branch, Version } from '../types'
import { createLoader, type Loader } from './loader'

/** 'current' stands for the live document in comparisons. */
export const CURRENT = 'current'

export interface HistoryStore {
  versions: Loader<Version[]>
  branches: Loader<Branch[]>
  refresh: () => Promise<void>
  /** The text of a version. */
  content: (versionId: string) => Promise<string>
  /** Names the present state: a new named version. */
  nameCurrent: (name: string) => Promise<Version>
  restore: (versionId: string) => Promise<void>
  createBranch: (name: string, fromVersion?: string) => Promise<Branch>
  /** Merges branch `branchId` back into the document it was forked from. */
  merge: (branchId: string) => Promise<number>
}

export function createHistory (docId: Accessor<string | null>, agent: Api = defaultApi): HistoryStore {
  const versions = createLoader(docId, (doc) => agent.history.versions(doc))
  const branches = createLoader(docId, (doc) => agent.history.branches(doc))
  const cache = new Map<string, Promise<string>>()
  const doc = () => {
    const id = docId()
    if (!id) throw new Error('No document is open.')
    return id
  }
  const refresh = async () => { await Promise.all([versions.reload(), branches.reload()]) }

  return {
    versions,
    branches,
    refresh,
    content: (versionId) => {
      const key = `${doc()}/${versionId}`
      let text = cache.get(key)
      if (!text) {
        text = agent.history.versionContent(doc(), versionId)
        text.catch(() => cache.delete(key))
        cache.set(key, text)
      }
      return text
    },
    nameCurrent: async (name) => {
      const version = await agent.history.createVersion(doc(), name.trim())
      await versions.reload()
      return version
    },
    restore: async (versionId) => {
      await agent.history.restore(doc(), versionId)
      await versions.reload()
    },
    createBranch: async (name, fromVersion) => {
      const branch = await agent.history.createBranch(doc(), name.trim(), fromVersion)
      await branches.reload()
      return branch
    },
    merge: async (branchId) => {
      const result = await agent.history.merge(branchId)
      await versions.reload()
      return result?.merged_updates ?? 0
    }
  }
}
