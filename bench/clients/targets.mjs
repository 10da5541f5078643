// Where the clients connect, one kind of server per case, each giving rooms
// `{ url, frame?, unframe?, auth? }` for Client (client.mjs):
//
// - Reynard: a fresh user and workspace over HTTP, one document per room,
//   the session token in the URL (as the web client does);
// - a plain y-websocket server (`--url-template ws://127.0.0.1:PORT/{room}`);
// - y-sweet and Hocuspocus, through bench/anchors/targets.mjs.
//
// Only loopback addresses are accepted.

export function assertLoopback (url) {
  const u = new URL(url)
  if (!['ws:', 'http:'].includes(u.protocol)) throw new Error(`${url}: only ws:// and http:// URLs`)
  if (!(u.hostname === 'localhost' || /^127\./.test(u.hostname))) {
    throw new Error(`${url}: refusing a non-loopback address (this benchmark stays on 127.0.0.0/8)`)
  }
}

async function post (url, body, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30000)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`POST ${url}: ${response.status}: ${text}`)
  return JSON.parse(text)
}

/** A target: `rooms(scenario, n)` gives n fresh rooms. */
export async function openTarget (kind, address) {
  assertLoopback(address)
  const run = `${process.pid}-${Date.now()}`
  switch (kind) {
    case 'reynard': {
      const base = address.replace(/\/$/, '')
      const signup = await post(`${base}/api/v1/auth/signup`, {
        email: `bench-npm-${run}@bench.test`, password: 'correct horse 1', name: 'Bench'
      })
      const workspace = await post(`${base}/api/v1/workspaces`, { name: 'Benchmark' }, signup.token)
      const wsBase = base.replace(/^http:/, 'ws:')
      return {
        async rooms (scenario, n) {
          const rooms = []
          for (let i = 0; i < n; i++) {
            const doc = await post(`${base}/api/v1/workspaces/${workspace.id}/documents`,
              { path: `bench/${scenario}-${run}/room-${i}.md` }, signup.token)
            rooms.push({ url: `${wsBase}/collab/${doc.id}?token=${signup.token}` })
          }
          return rooms
        }
      }
    }
    case 'template': {
      if (!address.includes('{room}')) throw new Error('the URL template must contain {room}')
      return {
        async rooms (scenario, n) {
          return Array.from({ length: n }, (_, i) => ({ url: address.replace('{room}', `bench-${scenario}-${run}-${i}`) }))
        }
      }
    }
    case 'ysweet': {
      const { ysweetRoom } = await import('../anchors/targets.mjs')
      return {
        async rooms (scenario, n) {
          const rooms = []
          for (let i = 0; i < n; i++) rooms.push(await ysweetRoom(address, `bench-${scenario}-${run}-${i}`))
          return rooms
        }
      }
    }
    case 'hocuspocus': {
      const anchors = await import('../anchors/targets.mjs')
      const wsBase = address.replace(/\/$/, '')
      return {
        async rooms (scenario, n) {
          return Array.from({ length: n }, (_, i) => {
            const { url, documentName } = anchors.hocuspocusRoom(wsBase, `bench-${scenario}-${run}-${i}`)
            return {
              url,
              // Every message carries the document's name; Auth goes first.
              auth: anchors.hocuspocusAuthMessage(documentName),
              frame: (payload) => anchors.hocuspocusFrame(documentName, payload),
              unframe: (data) => {
                const { payload } = anchors.hocuspocusUnframe(data)
                // Its own message types (auth answers, save acknowledgements) mean nothing here.
                return payload[0] === anchors.HocuspocusType.Auth || payload[0] === anchors.HocuspocusType.SyncStatus ? null : payload
              }
            }
          })
        }
      }
    }
    default:
      throw new Error(`unknown server kind ${kind}`)
  }
}
