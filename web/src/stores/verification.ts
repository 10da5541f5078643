// Whether the signed-in person's email is verified, and asking for a new link.
// Separate from the auth store: only GET /me knows, and only the notice asks.

import { createSignal, type Accessor } from 'solid-js'
import { api as defaultApi, type Api } from '../api'

export interface VerificationStore {
  /** `null` until known (or when signed out). */
  verified: Accessor<boolean | null>
  /** Asks the server (GET /me). */
  refresh: () => Promise<void>
  /** Mails a new verification link. */
  resend: () => Promise<void>
}

export function createVerification (agent: Api = defaultApi): VerificationStore {
  const [verified, setVerified] = createSignal<boolean | null>(null)
  return {
    verified,
    refresh: async () => {
      const me = await agent.auth.me()
      setVerified(me.email_verified ?? null)
    },
    resend: () => agent.auth.resendVerification()
  }
}
