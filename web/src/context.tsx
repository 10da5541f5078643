// App-wide stores, provided once at the top of the tree.

import { createContext, useContext, type JSX } from 'solid-js'
import type { AuthStore } from './stores/auth'

const AuthContext = createContext<AuthStore>()

export function AuthProvider (props: { auth: AuthStore, children: JSX.Element }) {
  return <AuthContext.Provider value={props.auth}>{props.children}</AuthContext.Provider>
}

export function useAuth (): AuthStore {
  const auth = useContext(AuthContext)
  if (!auth) throw new Error('useAuth outside <AuthProvider>')
  return auth
}
