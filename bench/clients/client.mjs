// One simulated editor: a real `Y.Doc` and `Awareness` (npm `yjs`,
// `y-protocols`, `lib0`) on a WebSocket, doing what the y-websocket provider
// does (y-websocket 3.x `WebsocketProvider`):
//
// - on open: sync step 1, then its own awareness state if it has one;
// - sync messages through `readSyncMessage` (answers step 1 with step 2,
//   applies step 2 and updates), every local document update sent at once;
// - every awareness `update` event sent on, whatever its origin: a state heard
//   from the server is re-sent to it (the provider's echo), and the
//   `Awareness` timer renews the local state every 15 s and drops peers
//   silent for 30 s;
// - query-awareness answered with every known state.
//
// Cursors are y-monaco's: `selection: { anchor, head }` relative positions.
// Markers `[writer:seq]` inserted by writers are timed when the `Y.Text`
// observer sees them, i.e. after the update was applied, as an editor would.

import WebSocket from 'ws'
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

const MESSAGE_SYNC = 0
const MESSAGE_AWARENESS = 1
const MESSAGE_AUTH = 2
const MESSAGE_QUERY_AWARENESS = 3
const MARKER = /\[(\d+):(\d+)\]/g
const COLORS = ['#30bced', '#6eeb83', '#ffbc42', '#ecd444', '#ee6352', '#9ac2c9', '#8acb88', '#1be7ff']

/** Tallies of one client, for the scenario's result. */
export class Tally {
  constructor () {
    this.awarenessIn = 0
    this.awarenessOut = 0
    this.updatesOut = 0
    this.bytesIn = 0
    this.errors = {}
    this.closedByServer = {}
  }

  error (kind) { this.errors[kind] = (this.errors[kind] ?? 0) + 1 }
}

export class Client {
  /**
   * @param {object} room `{ url, frame?, unframe?, auth? }` from targets.mjs: where to
   *   connect and, for Hocuspocus, how each message is wrapped and what it sends first.
   * @param {object} opts `index` (a number for the user name), `awareness`
   *   (announce a user state, default true), `onMarker(writer, seq, atMs)`,
   *   `tally` (a shared Tally).
   */
  constructor (room, opts = {}) {
    this.room = room
    this.index = opts.index ?? 0
    this.tally = opts.tally ?? new Tally()
    this.onMarker = opts.onMarker
    this.doc = new Y.Doc()
    this.text = this.doc.getText('monaco')
    this.awareness = new awarenessProtocol.Awareness(this.doc)
    this.ws = null
    this.synced = false
    this.closed = false
    this._syncedWaiters = []
    if (opts.awareness !== false) {
      this.awareness.setLocalStateField('user', {
        name: `user-${this.index}`,
        color: COLORS[this.index % COLORS.length]
      })
    } else {
      this.awareness.setLocalState(null)
    }
    this.doc.on('update', (update, origin) => {
      if (origin === this) return
      this.tally.updatesOut++
      this._send(MESSAGE_SYNC, (e) => syncProtocol.writeUpdate(e, update))
    })
    this.awareness.on('update', ({ added, updated, removed }) => {
      const changed = added.concat(updated).concat(removed)
      this.tally.awarenessOut++
      this._send(MESSAGE_AWARENESS, (e) =>
        encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)))
    })
    if (this.onMarker) {
      this.text.observe((event) => {
        const at = performance.now()
        for (const op of event.delta) {
          if (typeof op.insert !== 'string') continue
          for (const m of op.insert.matchAll(MARKER)) this.onMarker(Number(m[1]), Number(m[2]), at)
        }
      })
    }
  }

  /** Connects; resolves once the server's sync step 2 was applied. */
  connect (timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.tally.error('sync timeout'); reject(new Error('sync timeout')) }, timeoutMs)
      this._syncedWaiters.push(() => { clearTimeout(timer); resolve() })
      const ws = new WebSocket(this.room.url, { maxPayload: 256 << 20 })
      ws.binaryType = 'arraybuffer'
      this.ws = ws
      ws.on('open', () => {
        if (this.room.auth) ws.send(this.room.auth) // already framed
        this._send(MESSAGE_SYNC, (e) => syncProtocol.writeSyncStep1(e, this.doc))
        if (this.awareness.getLocalState() !== null) {
          this._send(MESSAGE_AWARENESS, (e) =>
            encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID])))
        }
      })
      ws.on('message', (data) => this._receive(new Uint8Array(data)))
      ws.on('error', (err) => {
        this.tally.error(err.code ?? err.message)
        clearTimeout(timer)
        reject(err)
      })
      ws.on('close', (code, reason) => {
        if (!this.closed) {
          const key = `${code} ${String(reason).slice(0, 80)}`.trim()
          this.tally.closedByServer[key] = (this.tally.closedByServer[key] ?? 0) + 1
          clearTimeout(timer)
          reject(new Error(`closed by the server: ${code}`))
        }
        // The provider forgets every peer's state when its socket closes.
        awarenessProtocol.removeAwarenessStates(this.awareness,
          Array.from(this.awareness.getStates().keys()).filter((c) => c !== this.doc.clientID), this)
      })
    })
  }

  /** Inserts `[writer:seq]` plus `filler` at the end, in one transaction. */
  insertMarker (writer, seq, filler = '') {
    this.text.insert(this.text.length, `[${writer}:${seq}]${filler}`)
  }

  /** Moves the cursor to the end, as y-monaco publishes a selection. */
  moveCursor () {
    const pos = Y.createRelativePositionFromTypeIndex(this.text, this.text.length)
    this.awareness.setLocalStateField('selection', { anchor: pos, head: pos })
  }

  close () {
    this.closed = true
    this.awareness.destroy()
    if (this.ws) this.ws.close()
  }

  _receive (data) {
    this.tally.bytesIn += data.length
    const payload = this.room.unframe ? this.room.unframe(data) : data
    if (payload === null) return
    const decoder = decoding.createDecoder(payload)
    const encoder = encoding.createEncoder()
    const type = decoding.readVarUint(decoder)
    switch (type) {
      case MESSAGE_SYNC: {
        encoding.writeVarUint(encoder, MESSAGE_SYNC)
        const kind = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this)
        if (encoding.length(encoder) > 1) this._raw(encoding.toUint8Array(encoder))
        if (kind === syncProtocol.messageYjsSyncStep2 && !this.synced) {
          this.synced = true
          for (const w of this._syncedWaiters.splice(0)) w()
        }
        break
      }
      case MESSAGE_AWARENESS:
        this.tally.awarenessIn++
        awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this)
        break
      case MESSAGE_QUERY_AWARENESS:
        this._send(MESSAGE_AWARENESS, (e) => encoding.writeVarUint8Array(e,
          awarenessProtocol.encodeAwarenessUpdate(this.awareness, Array.from(this.awareness.getStates().keys()))))
        break
      case MESSAGE_AUTH:
        break
      default:
        this.tally.error(`unknown message ${type}`)
    }
  }

  _send (type, write) {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, type)
    write(encoder)
    this._raw(encoding.toUint8Array(encoder))
  }

  _raw (message) {
    const ws = this.ws
    if (!ws || ws.readyState !== WebSocket.OPEN) return
    ws.send(this.room.frame ? this.room.frame(message) : message)
  }
}
