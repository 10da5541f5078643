// Letting go of a WebSocket the app no longer wants, for the live and call
// sockets alike: its handlers are removed first, so that its close is not
// taken for a dropped connection.

/** Removes every handler of `ws`. */
export function detach (ws: WebSocket): void {
  ws.onopen = null
  ws.onmessage = null
  ws.onclose = null
  ws.onerror = null
}

/**
 * Closes a socket we no longer want; one still connecting is closed once it
 * opens (browsers report closing those as errors).
 */
export function discard (ws: WebSocket): void {
  detach(ws)
  if (ws.readyState === 0) ws.onopen = () => ws.close(1000)
  else if (ws.readyState === 1) ws.close(1000)
}
