// Fakes for the live sockets' and the call store's tests: a WebSocket the test drives, peer
// connections that assign mids and turn a fake SDP (`fakeOffer`) into
// receiving transceivers, media tracks and streams, media devices, and a
// ResizeObserver that reports when told to.

let ids = 0

/** A frame the store sent (read loosely: the tests compare whole frames). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SentFrame = { type: string, [field: string]: any }

/** A WebSocket the test drives: open it, send it frames, close it. */
export class FakeSocket {
  static all: FakeSocket[] = []
  readyState = 0
  sent: SentFrame[] = []
  closedWith: number | undefined
  onopen: ((e: unknown) => void) | null = null
  onmessage: ((e: { data: string }) => void) | null = null
  onclose: ((e: { code: number, reason: string }) => void) | null = null
  onerror: ((e: unknown) => void) | null = null

  constructor (readonly url: string) { FakeSocket.all.push(this) }
  send (data: string) { this.sent.push(JSON.parse(data)) }
  close (code = 1000) { this.readyState = 3; this.closedWith = code }
  // the server's side
  open () { this.readyState = 1; this.onopen?.({}) }
  receive (frame: unknown) { this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) }) }
  drop (code: number, reason = '') { this.readyState = 3; this.onclose?.({ code, reason }) }
  /** Frames of one type sent so far. */
  of (type: string) { return this.sent.filter((f) => f.type === type) }
  static last () { return FakeSocket.all[FakeSocket.all.length - 1] }
}

export class FakeTrack {
  id: string
  enabled = true
  readyState: 'live' | 'ended' = 'live'
  contentHint = ''
  onended: (() => void) | null = null
  constructor (readonly kind: 'audio' | 'video', readonly label = `${kind} device`) { this.id = `${kind}-${++ids}` }
  stop () { this.readyState = 'ended' }
  get stopped () { return this.readyState === 'ended' }
}

export class FakeStream {
  id = `stream-${++ids}`
  constructor (readonly tracks: FakeTrack[] = []) {}
  getTracks () { return [...this.tracks] }
  getAudioTracks () { return this.tracks.filter((t) => t.kind === 'audio') }
  getVideoTracks () { return this.tracks.filter((t) => t.kind === 'video') }
}

class FakeSender {
  params: Record<string, unknown> = { encodings: [], transactionId: 't1' }
  setParameters = async (p: Record<string, unknown>) => { this.params = p }
  constructor (public track: FakeTrack | null) {}
  async replaceTrack (t: FakeTrack | null) { this.track = t }
  getParameters () { return { ...this.params } }
}

export class FakeTransceiver {
  mid: string | null = null
  sender: FakeSender
  receiver: { track: FakeTrack }
  direction: string
  constructor (readonly kind: 'audio' | 'video', track: FakeTrack | null, readonly init: RTCRtpTransceiverInit = {}) {
    this.sender = new FakeSender(track)
    this.receiver = { track: new FakeTrack(kind, 'remote') }
    this.direction = init.direction ?? 'sendrecv'
  }
}

/** A subscriber offer the fake connection understands: its m-lines' mids and kinds. */
export function fakeOffer (lines: { mid: string, kind: 'audio' | 'video' }[], tag = ''): string {
  return ['v=0 fake' + (tag ? ` ${tag}` : ''), ...lines.map((l) => `m=${l.kind} mid=${l.mid}`)].join('\n')
}

export class FakePeerConnection {
  static all: FakePeerConnection[] = []
  transceivers: FakeTransceiver[] = []
  localDescription: { type: string, sdp: string } | null = null
  remoteDescription: { type: string, sdp: string } | null = null
  signalingState = 'stable'
  iceConnectionState = 'new'
  closed = false
  offers: (RTCOfferOptions | undefined)[] = []
  stats = new Map<string, Record<string, unknown>>()
  onicecandidate: ((e: { candidate: { candidate: string } | null }) => void) | null = null
  ontrack: ((e: { transceiver: FakeTransceiver, track: FakeTrack, streams: unknown[] }) => void) | null = null
  oniceconnectionstatechange: (() => void) | null = null
  private nextMid = 0

  constructor (readonly config: RTCConfiguration) { FakePeerConnection.all.push(this) }

  addTransceiver (trackOrKind: FakeTrack | 'audio' | 'video', init: RTCRtpTransceiverInit = {}) {
    const track = typeof trackOrKind === 'string' ? null : trackOrKind
    const t = new FakeTransceiver(track ? track.kind : trackOrKind as 'audio' | 'video', track, init)
    this.transceivers.push(t)
    return t
  }

  getTransceivers () { return [...this.transceivers] }

  async createOffer (opts?: RTCOfferOptions) {
    this.offers.push(opts)
    const lines = this.transceivers.map((t, i) => `m=${t.kind} ${t.mid ?? `new${i}`} ${t.direction}`)
    return { type: 'offer', sdp: ['v=0 offer' + (opts?.iceRestart ? ' ice-restart' : ''), ...lines].join('\n') }
  }

  async createAnswer () { return { type: 'answer', sdp: `v=0 answer to ${this.remoteDescription?.sdp.split('\n')[0]}` } }

  async setLocalDescription (desc: { type: string, sdp?: string }) {
    if (desc.type === 'rollback') {
      this.signalingState = 'stable'
      return
    }
    if (desc.type === 'offer') {
      for (const t of this.transceivers) if (t.mid === null) t.mid = String(this.nextMid++)
      this.signalingState = 'have-local-offer'
    } else {
      this.signalingState = 'stable'
    }
    this.localDescription = { type: desc.type, sdp: desc.sdp ?? '' }
  }

  async setRemoteDescription (desc: { type: string, sdp: string }) {
    this.remoteDescription = { type: desc.type, sdp: desc.sdp }
    if (desc.type === 'answer') {
      if (this.signalingState !== 'have-local-offer') throw new Error('no offer to answer')
      this.signalingState = 'stable'
      return
    }
    this.signalingState = 'have-remote-offer'
    for (const m of desc.sdp.matchAll(/m=(audio|video) mid=(\S+)/g)) {
      const [, kind, mid] = m
      let t = this.transceivers.find((x) => x.mid === mid)
      if (!t) {
        t = new FakeTransceiver(kind as 'audio' | 'video', null, { direction: 'recvonly' })
        t.mid = mid
        this.transceivers.push(t)
        this.ontrack?.({ transceiver: t, track: t.receiver.track, streams: [] })
      }
    }
  }

  async getStats () { return this.stats }

  close () {
    this.closed = true
    this.signalingState = 'closed'
  }

  // the test's side
  candidate (c: string | null) { this.onicecandidate?.({ candidate: c === null ? null : { candidate: c } }) }
  setIce (state: string) {
    this.iceConnectionState = state
    this.oniceconnectionstatechange?.()
  }
  /** The transceiver sending a kind of local track, by source order of addition. */
  sending () { return this.transceivers.filter((t) => t.direction === 'sendonly') }
}

/** getUserMedia / getDisplayMedia / enumerateDevices, recorded. */
export class FakeMediaDevices {
  calls: MediaStreamConstraints[] = []
  displayCalls: DisplayMediaStreamOptions[] = []
  /** Set to make getUserMedia fail with this error name. */
  failWith: string | null = null
  tracks: FakeTrack[] = []

  async getUserMedia (constraints: MediaStreamConstraints) {
    this.calls.push(constraints)
    if (this.failWith) throw Object.assign(new Error(this.failWith), { name: this.failWith })
    const tracks: FakeTrack[] = []
    if (constraints.audio) tracks.push(new FakeTrack('audio'))
    if (constraints.video) tracks.push(new FakeTrack('video'))
    this.tracks.push(...tracks)
    return new FakeStream(tracks)
  }

  async getDisplayMedia (options: DisplayMediaStreamOptions) {
    this.displayCalls.push(options)
    const t = new FakeTrack('video', 'screen')
    this.tracks.push(t)
    return new FakeStream([t])
  }

  async enumerateDevices () {
    return [
      { kind: 'videoinput', deviceId: 'cam1', label: 'Camera 1', groupId: 'g1' },
      { kind: 'audioinput', deviceId: 'mic1', label: 'Mic 1', groupId: 'g1' },
      { kind: 'audiooutput', deviceId: 'out1', label: 'Speaker', groupId: 'g1' }
    ]
  }

  live (kind: 'audio' | 'video') { return this.tracks.filter((t) => t.kind === kind && !t.stopped && t.label !== 'screen') }
}

/** A ResizeObserver that reports when the test says. */
export class FakeResizeObserver {
  static all: FakeResizeObserver[] = []
  observed = new Set<Element>()
  constructor (readonly callback: (entries: { target: Element }[]) => void) { FakeResizeObserver.all.push(this) }
  observe (el: Element) { this.observed.add(el) }
  unobserve (el: Element) { this.observed.delete(el) }
  disconnect () { this.observed.clear() }
  fire () { this.callback([...this.observed].map((target) => ({ target }))) }
}

/** An element of a given size on screen. */
export function sizedElement (width: number, height: number): HTMLElement & { resize: (w: number, h: number) => void } {
  const el = document.createElement('video') as unknown as HTMLElement & { resize: (w: number, h: number) => void }
  let size = { width, height }
  el.getBoundingClientRect = () => ({ ...size, x: 0, y: 0, top: 0, left: 0, right: size.width, bottom: size.height, toJSON: () => size }) as DOMRect
  el.resize = (w, h) => { size = { width: w, height: h } }
  return el
}

/** Lets pending promise chains run. */
export async function flush (rounds = 30) {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}
