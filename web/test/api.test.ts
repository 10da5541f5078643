import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, collabUrl, errorMessage, retryAfterSeconds } from '../src/api'

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
    // Sign-up tells the server the browser's time zone.
    const signup = (fetchMock.mock.calls as unknown as Array<[string, RequestInit]>)[1]
    expect(JSON.parse(signup[1].body as string).time_zone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone)
  })

  it('builds the WebSocket base from the page origin', () => {
    expect(collabUrl({ protocol: 'https:', host: 'r.example.org' } as Location)).toBe('wss://r.example.org/collab')
    expect(collabUrl({ protocol: 'http:', host: '127.0.0.1:8080' } as Location)).toBe('ws://127.0.0.1:8080/collab')
  })

  it('calls the rooms and chat endpoints of the contract', async () => {
    const fetchMock = respond(200, '[]')
    vi.stubGlobal('fetch', fetchMock)
    await api.rooms.list('w1')
    await api.rooms.list('w1', true)
    await api.chat.messages('r/1')
    await api.chat.messages('r1', { before: 'm 9', limit: 20 })
    await api.chat.mentions('w1', { limit: 5 })
    await api.chat.search('w1', 'deploy & run', 10)
    await api.chat.unread('w1')
    const calls = fetchMock.mock.calls as unknown as Array<[string, RequestInit]>
    expect(calls.map(([url, init]) => `${init.method} ${url}`)).toEqual([
      'GET /api/v1/workspaces/w1/rooms',
      'GET /api/v1/workspaces/w1/rooms?archived=true',
      'GET /api/v1/rooms/r%2F1/messages',
      'GET /api/v1/rooms/r1/messages?before=m%209&limit=20',
      'GET /api/v1/workspaces/w1/mentions?limit=5',
      'GET /api/v1/workspaces/w1/messages/search?q=deploy%20%26%20run&limit=10',
      'GET /api/v1/workspaces/w1/unread'
    ])

    const writes = respond(204, '')
    vi.stubGlobal('fetch', writes)
    await api.rooms.update('r1', { archived: false })
    await api.rooms.remove('r1')
    await api.chat.markRead('r1', 'm1')
    await api.chat.remove('m1')
    const w = writes.mock.calls as unknown as Array<[string, RequestInit]>
    expect(w.map(([url, init]) => `${init.method} ${url} ${init.body ?? ''}`.trim())).toEqual([
      'PATCH /api/v1/rooms/r1 {"archived":false}',
      'DELETE /api/v1/rooms/r1',
      'POST /api/v1/rooms/r1/read {"message_id":"m1"}',
      'DELETE /api/v1/messages/m1'
    ])
    expect(w[2][1].keepalive).toBe(true)
  })

  it('calls the meeting and scheduling endpoints of the contract', async () => {
    const fetchMock = vi.fn(async (url: string) => new Response(url.includes('/scheduling/slots') ? '{"slots":[{"start":"a"}]}' : '{}', {
      status: 200, headers: { 'content-type': 'application/json' }
    }))
    vi.stubGlobal('fetch', fetchMock)
    await api.meetings.create('w1', { title: 'T', start: '2026-10-20T09:30', end: '2026-10-20T10:00', time_zone: 'UTC', attendees: [], reminders_minutes: [10] })
    await api.meetings.get('m1')
    await api.meetings.update('m1', { scope: 'occurrence', recurrence_id: '2026-10-20T09:30', title: 'U' })
    await api.meetings.cancel('m1', '2026-10-20T09:30')
    await api.meetings.cancel('m1')
    await api.meetings.rsvp('m1', 'accepted')
    await api.schedule.agenda('2026-10-19T00:00:00+01:00', '2026-10-26T00:00:00+00:00')
    expect(await api.schedule.slots({ attendees: ['b@x.org'], duration_minutes: 30, from: 'f', to: 't' })).toEqual([{ start: 'a' }])
    await api.schedule.calendarFeed()
    await api.schedule.rotateCalendarFeed()
    await api.rsvp.get('tok')
    await api.rsvp.answer('tok', 'declined')
    const calls = fetchMock.mock.calls as unknown as Array<[string, RequestInit]>
    expect(calls.map(([url, init]) => `${init.method} ${url} ${init.body ?? ''}`.trim())).toEqual([
      'POST /api/v1/workspaces/w1/meetings {"title":"T","start":"2026-10-20T09:30","end":"2026-10-20T10:00","time_zone":"UTC","attendees":[],"reminders_minutes":[10]}',
      'GET /api/v1/meetings/m1',
      'PATCH /api/v1/meetings/m1 {"scope":"occurrence","recurrence_id":"2026-10-20T09:30","title":"U"}',
      'DELETE /api/v1/meetings/m1?occurrence=2026-10-20T09%3A30',
      'DELETE /api/v1/meetings/m1',
      'POST /api/v1/meetings/m1/rsvp {"response":"accepted"}',
      'GET /api/v1/me/agenda?from=2026-10-19T00%3A00%3A00%2B01%3A00&to=2026-10-26T00%3A00%3A00%2B00%3A00',
      'POST /api/v1/scheduling/slots {"attendees":["b@x.org"],"duration_minutes":30,"from":"f","to":"t"}',
      'GET /api/v1/me/calendar-feed',
      'POST /api/v1/me/calendar-feed/rotate',
      'GET /api/v1/rsvp/tok',
      'POST /api/v1/rsvp/tok {"response":"declined"}'
    ])
  })

  it('keeps a 429\'s Retry-After with the server\'s message', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'Slow down.' } }), {
      status: 429, headers: { 'content-type': 'application/json', 'retry-after': '4' }
    })))
    const err = await api.chat.send('r1', 'hi').catch((e: unknown) => e) as ApiError
    expect(err.status).toBe(429)
    expect(err.code).toBe('rate_limited')
    expect(err.message).toBe('Slow down.')
    expect(err.retryAfter).toBe(4)
    expect(retryAfterSeconds(null)).toBeNull()
    expect(retryAfterSeconds(new Date(10_000).toUTCString(), 1_000)).toBe(9)
  })
})
