// Who is signed in. The session cookie is the source of truth (it survives a
// reload); the bearer token from sign-up/login is kept too and passed to the
// document WebSockets explicitly.

import { createSignal, type Accessor } from 'solid-js'
import { api as defaultApi, ApiError, errorMessage, setToken, setUnauthorizedHandler, type Api } from '../api'
import type { User } from '../types'

export type AuthStatus = 'checking' | 'signed-in' | 'signed-out'

export interface AuthStore {
  status: Accessor<AuthStatus>
  user: Accessor<User | null>
  token: Accessor<string | null>
  /** Why the last check could not tell who is signed in (the server could not be reached…). */
  checkError: Accessor<string | null>
  /** Asks the server who is signed in (GET /me). */
  check: () => Promise<void>
  login: (email: string, password: string) => Promise<User>
  signup: (email: string, password: string, name: string) => Promise<User>
  logout: () => Promise<void>
  /** Forgets the user locally (the session ended on the server). */
  signedOut: () => void
}

const TOKEN_KEY = 'reynard.token'
/** Set while signed in: without it, a fresh page does not ask the server (no 401 noise). */
const HINT_KEY = 'reynard.signedIn'

function readHint (storage: Storage | undefined): boolean {
  try { return storage?.getItem(HINT_KEY) === '1' } catch { return true }
}

function storeHint (storage: Storage | undefined, signedIn: boolean): void {
  try {
    if (signedIn) storage?.setItem(HINT_KEY, '1')
    else storage?.removeItem(HINT_KEY)
  } catch {
    // storage disabled: every page load asks the server
  }
}

function readStoredToken (storage: Storage | undefined): string | null {
  try { return storage?.getItem(TOKEN_KEY) ?? null } catch { return null }
}

function storeToken (storage: Storage | undefined, token: string | null): void {
  try {
    if (token) storage?.setItem(TOKEN_KEY, token)
    else storage?.removeItem(TOKEN_KEY)
  } catch {
    // private mode or storage disabled: the cookie still works
  }
}

export function createAuth (agent: Api = defaultApi, storage: Storage | undefined = globalThis.localStorage): AuthStore {
  const [status, setStatus] = createSignal<AuthStatus>('checking')
  const [user, setUser] = createSignal<User | null>(null)
  const [token, setTokenSignal] = createSignal<string | null>(readStoredToken(storage))
  const [checkError, setCheckError] = createSignal<string | null>(null)
  setToken(token())

  const useToken = (value: string | null) => {
    setTokenSignal(value)
    setToken(value)
    storeToken(storage, value)
  }

  const signedIn = (u: User, t: string | null) => {
    if (t !== null) useToken(t)
    storeHint(storage, true)
    setUser(u)
    setStatus('signed-in')
    return u
  }

  const signedOut = () => {
    useToken(null)
    storeHint(storage, false)
    setUser(null)
    setStatus('signed-out')
  }

  setUnauthorizedHandler(() => { if (status() === 'signed-in') signedOut() })

  const check = async () => {
    setCheckError(null)
    if (!readHint(storage) && !token()) {
      signedOut()
      return
    }
    try {
      signedIn(await agent.auth.me(), null)
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && token()) {
        // A stale token: the session cookie may still be good.
        useToken(null)
        try {
          signedIn(await agent.auth.me(), null)
          return
        } catch (second) {
          if (!(second instanceof ApiError && second.status === 401)) {
            setStatus('signed-out')
            setCheckError(errorMessage(second))
            throw second
          }
        }
      } else if (!(err instanceof ApiError && err.status === 401)) {
        setStatus('signed-out')
        setCheckError(errorMessage(err))
        throw err
      }
      signedOut()
    }
  }

  return {
    status,
    user,
    token,
    checkError,
    check,
    login: async (email, password) => {
      const res = await agent.auth.login(email, password)
      return signedIn(res.user, res.token)
    },
    signup: async (email, password, name) => {
      const res = await agent.auth.signup(email, password, name)
      return signedIn(res.user, res.token)
    },
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
