// Who is signed in. The HttpOnly session cookie is the only credential: the
// page never sees a token, and on start it asks the server whose cookie it
// has (GET /auth/session), so a page opened with a valid cookie is signed in.

import { createSignal, type Accessor } from 'solid-js'
import { api as defaultApi, errorMessage, setUnauthorizedHandler, type Api } from '../api'
import type { User } from '../types'

export type AuthStatus = 'checking' | 'signed-in' | 'signed-out'

export interface AuthStore {
  status: Accessor<AuthStatus>
  user: Accessor<User | null>
  /** Why the last check could not tell who is signed in (the server could not be reached…). */
  checkError: Accessor<string | null>
  /** Asks the server who is signed in (GET /auth/session). */
  check: () => Promise<void>
  login: (email: string, password: string) => Promise<User>
  signup: (email: string, password: string, name: string) => Promise<User>
  logout: () => Promise<void>
  /** Forgets the user locally (the session ended on the server). */
  signedOut: () => void
}

/** Where earlier versions kept a bearer token and a signed-in hint: removed on start. */
const LEGACY_KEYS = ['reynard.token', 'reynard.signedIn']

function forgetLegacyStorage (storage: Storage | undefined): void {
  try {
    for (const key of LEGACY_KEYS) storage?.removeItem(key)
  } catch {
    // storage disabled: nothing was kept there either
  }
}

export function createAuth (agent: Api = defaultApi, storage: Storage | undefined = globalThis.localStorage): AuthStore {
  forgetLegacyStorage(storage)
  const [status, setStatus] = createSignal<AuthStatus>('checking')
  const [user, setUser] = createSignal<User | null>(null)
  const [checkError, setCheckError] = createSignal<string | null>(null)

  const signedIn = (u: User) => {
    setUser(u)
    setStatus('signed-in')
    return u
  }

  const signedOut = () => {
    setUser(null)
    setStatus('signed-out')
  }

  setUnauthorizedHandler(() => { if (status() === 'signed-in') signedOut() })

  const check = async () => {
    setCheckError(null)
    try {
      const { user } = await agent.auth.session()
      if (user) signedIn(user)
      else signedOut()
    } catch (err) {
      setStatus('signed-out')
      setCheckError(errorMessage(err))
      throw err
    }
  }

  return {
    status,
    user,
    checkError,
    check,
    // The answers also carry a bearer token (for scripts); the browser keeps
    // only the cookie the same answers set.
    login: async (email, password) => signedIn((await agent.auth.login(email, password)).user),
    signup: async (email, password, name) => signedIn((await agent.auth.signup(email, password, name)).user),
    logout: async () => {
      try {
        await agent.auth.logout()
      } finally {
        signedOut()
      }
    },
    signedOut
  }
}
