import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, collabUrl, errorMessage } from '../src/api'

function respond (status: number, body: string, type = 'application/json') {
  return vi.fn(async () => new Response(status === 204 ? null : body, { status, headers: { 'content-type': type } }))
}

describe('the API agent', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('throws ApiError with the server\'s message and code', async () => {
    vi.stubGlobal('fetch', respond(409, JSON.stringify({ error: { code: 'conflict', message: 'a document with this path exists' } })))
    const err = await api.documents.create('w1', 'a.md').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(409)
    expect((err as ApiError).code).toBe('conflict')
    expect(errorMessage(err)).toBe('a document with this path exists')
  })

  it('explains a status in words when the body is not the error JSON', async () => {
    vi.stubGlobal('fetch', respond(502, '<html>bad gateway</html>', 'text/html'))
    const err = await api.workspaces.list().catch((e: unknown) => e) as ApiError
    expect(err.status).toBe(502)
    expect(err.message).toMatch(/cannot be reached/)
  })

  it('says so when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    const err = await api.auth.me().catch((e: unknown) => e) as ApiError
    expect(err.status).toBe(0)
    expect(err.message).toMatch(/cannot be reached/)
  })

  it('sends JSON with the cookie only (no bearer token), and reads 204 and text answers', async () => {
    const fetchMock = respond(204, '')
    vi.stubGlobal('fetch', fetchMock)
    await expect(api.members.changeRole('w 1', 'u/2', 'viewer')).resolves.toBeUndefined()
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/v1/workspaces/w%201/members/u%2F2')
    expect(init.method).toBe('PATCH')
    expect((init.headers as Record<string, string>).authorization).toBeUndefined()
    expect(init.credentials).toBe('same-origin')
    expect(JSON.parse(init.body as string)).toEqual({ role: 'viewer' })

    vi.stubGlobal('fetch', respond(200, 'fn main() {}', 'text/plain'))
    await expect(api.documents.content('d1')).resolves.toBe('fn main() {}')
  })

  it('asks sign-up and login for the cookie only', async () => {
    const fetchMock = respond(200, JSON.stringify({ user: { id: 'u1', email: 'a@x.org', name: 'A' } }))
    vi.stubGlobal('fetch', fetchMock)
    await api.auth.login('a@x.org', 'pw')
    await api.auth.signup('a@x.org', 'pw', 'A')
    for (const call of fetchMock.mock.calls as unknown as Array<[string, RequestInit]>) {
      expect(JSON.parse(call[1].body as string).cookie_only).toBe(true)
    }
  })

  it('builds the WebSocket base from the page origin', () => {
    expect(collabUrl({ protocol: 'https:', host: 'r.example.org' } as Location)).toBe('wss://r.example.org/collab')
    expect(collabUrl({ protocol: 'http:', host: '127.0.0.1:8080' } as Location)).toBe('ws://127.0.0.1:8080/collab')
  })
})
