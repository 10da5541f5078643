// The call this tab is in (one room at a time, for the workspace shown): the
// call socket (/api/v1/rooms/{room}/call, authenticated by the session
// cookie), the two peer connections with the server's SFU — the publisher
// (this browser offers what it sends: camera in three simulcast layers,
// microphone, screen) and the subscriber (the SFU offers what this browser
// receives) — local media and the pre-join preview, the roster, active
// speakers, simulcast layers, per-participant network quality (getStats every
// 2 s), the sizes tiles are shown at (`viewport`), moderation, and resuming:
// ICE restarts while the socket lives, a transparent rejoin when it drops.
// While a call is active, `window.__reynardCall` exposes the connections to
// the browser tests.

import { batch, createEffect, createMemo, createSignal, on, onCleanup, type Accessor } from 'solid-js'
import { api as defaultApi, callUrl, type Api } from '../api'
import type {
  CallCommand,
  CallEvent,
  Grants,
  Layer,
  ParticipantView,
  PublishedTrack,
  SubscribedTrack,
  TrackSource
} from '../callTypes'
import { callCloseWords, isOff, leaveWords, parseCallEvent, sourceWords, withParticipant, withoutParticipant } from '../lib/callFrames'
import { tileKey, viewportsFor, type ShownSize, type TileSource } from '../lib/callLayout'
import { inboundQualities, inboundSamples, scoreConnection, selectedPair, type InboundSample, type Quality } from '../lib/netQuality'
import { DATA_SAVER_KBPS, withReceiveLimit } from '../lib/sdp'
import { detach, discard } from '../lib/sockets'
import { backoffDelay } from './live'

export type CallState = 'idle' | 'prejoin' | 'joining' | 'connected' | 'reconnecting' | 'left'

/** Device choices and audio processing, remembered in this browser. */
export interface CallSettings {
  /** '' : the browser's default. */
  cameraId: string
  micId: string
  noiseSuppression: boolean
  echoCancellation: boolean
  autoGainControl: boolean
  /** Receive video at low quality: the subscriber answer declares a small bandwidth (`b=AS`). */
  dataSaver: boolean
}

export const DEFAULT_SETTINGS: CallSettings = {
  cameraId: '',
  micId: '',
  noiseSuppression: true,
  echoCancellation: true,
  autoGainControl: true,
  dataSaver: false
}

/** A track received on the subscriber connection, and whose it is. */
export interface RemoteTrack extends SubscribedTrack {
  track: MediaStreamTrack
}

export interface Devices {
  cameras: MediaDeviceInfo[]
  microphones: MediaDeviceInfo[]
}

/** The camera's simulcast layers (rids q/h/f: quarter, half and full resolution). */
export const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', maxBitrate: 1_500_000 }
]

const SETTINGS_KEY = 'reynard.callSettings'
/** Connection attempts before a first `joined` after which joining gives up. */
const JOIN_ATTEMPTS = 4
/** How long an ICE connection may stay `disconnected` before it is restarted. */
const DISCONNECT_GRACE = 2500

type MediaDevicesLike = Pick<MediaDevices, 'getUserMedia' | 'enumerateDevices'> &
  Partial<Pick<MediaDevices, 'getDisplayMedia' | 'addEventListener' | 'removeEventListener'>>

type EventTargetLike = Pick<Window, 'addEventListener' | 'removeEventListener'>

export interface CallOptions {
  /** The signed-in user's name and id (for the own tile before the server's roster says). */
  selfName?: Accessor<string | undefined>
  selfUserId?: Accessor<string | undefined>
  agent?: Api
  url?: (roomId: string) => string
  WebSocketImpl?: typeof WebSocket
  PeerConnection?: typeof RTCPeerConnection
  MediaStreamImpl?: typeof MediaStream
  ResizeObserverImpl?: typeof ResizeObserver
  media?: () => MediaDevicesLike | undefined
  /** Where `online`/`offline` come from (window). */
  events?: EventTargetLike | null
  /** Whether the browser is online now (navigator.onLine). */
  online?: () => boolean
  storage?: Storage | null
  backoff?: (attempt: number) => number
  /** ms between network quality samples; 0: none. */
  statsInterval?: number
  /** ms tile size changes are gathered before a `viewport` frame. */
  viewportDelay?: number
  /** ms a `publish_offer` waits for its answer before it is tried again. */
  negotiationTimeout?: number
  /** Set `window.__reynardCall` while a call is active (default true). */
  debugHandle?: boolean
}

export interface JoinOptions {
  /** Force TURN (`iceTransportPolicy: 'relay'`). */
  relay?: boolean
}

export interface CallStore {
  state: Accessor<CallState>
  /** The room of the call (or of the pre-join check). */
  roomId: Accessor<string | null>
  /** This participant's id in the call (from `joined`). */
  selfId: Accessor<string | null>
  grants: Accessor<Grants | null>
  limit: Accessor<number>
  /** Everyone in the call: yourself first, then the others in join order. */
  participants: Accessor<ParticipantView[]>
  /** Whether a call is joined or being joined (not idle, pre-join or left). */
  active: Accessor<boolean>
  activeSpeakers: Accessor<ReadonlySet<string>>
  /** The layer the SFU forwards of each received track. */
  layers: Accessor<Readonly<Record<string, Layer>>>
  /** Network quality per participant (yourself: your own connection). */
  quality: Accessor<Readonly<Record<string, Quality>>>
  remoteTracks: Accessor<RemoteTrack[]>
  /** Received audio tracks (played by hidden audio elements). */
  remoteAudio: Accessor<RemoteTrack[]>
  /** The stream a tile shows: your own camera/screen, or what is received of someone else's. */
  streamOf: (participantId: string, source: TileSource) => MediaStream | null
  /** A stream carrying just `track` (the same one every time). */
  streamFor: (track: MediaStreamTrack) => MediaStream | null
  /** The received video track a tile shows (for `viewport`). */
  videoTrackIdOf: (participantId: string, source: TileSource) => string | null
  micOff: (participantId: string) => boolean
  cameraOff: (participantId: string) => boolean

  micTrack: Accessor<MediaStreamTrack | null>
  cameraTrack: Accessor<MediaStreamTrack | null>
  screenTrack: Accessor<MediaStreamTrack | null>
  micOn: Accessor<boolean>
  cameraOn: Accessor<boolean>
  sharing: Accessor<boolean>
  settings: Accessor<CallSettings>
  devices: Accessor<Devices>

  /** Why the call ended or could not be joined (state `left`). */
  endedReason: Accessor<string | null>
  /** Something to tell the person (muted by a moderator, a refused command). */
  notice: Accessor<string | null>
  dismissNotice: () => void
  /** Camera, microphone or screen could not be used. */
  mediaError: Accessor<string | null>

  pinned: Accessor<string | null>
  pin: (key: string | null) => void
  viewersMayPublish: Accessor<boolean>

  /** Opens the pre-join check for a room: preview, devices, meter. */
  prepare: (roomId: string) => Promise<void>
  cancelPrepare: () => void
  join: (roomId: string, opts?: JoinOptions) => void
  leave: () => void
  setMic: (on: boolean) => Promise<void>
  setCamera: (on: boolean) => Promise<void>
  startScreenShare: () => Promise<void>
  stopScreenShare: () => void
  setSetting: <K extends keyof CallSettings>(key: K, value: CallSettings[K]) => Promise<void>
  refreshDevices: () => Promise<void>

  muteParticipant: (participantId: string, source: TrackSource) => boolean
  removeParticipant: (participantId: string) => boolean
  allowViewersToPublish: (allowed: boolean) => boolean
  endCall: () => boolean

  /** Reports the size a tile shows a received video track at, until the returned function is called. */
  observeTile: (el: Element, trackId: string) => () => void
}

/** The debug handle the browser tests read. */
export interface CallDebugHandle {
  readonly publisher: RTCPeerConnection | null
  readonly subscriber: RTCPeerConnection | null
  state: () => string
  participants: () => ParticipantView[]
  selfId: () => string | null
  /** Received tracks: which mid carries whose track. */
  tracks: () => SubscribedTrack[]
}

declare global {
  interface Window {
    __reynardCall?: CallDebugHandle
  }
}

function readSettings (storage: Storage | null): CallSettings {
  try {
    const raw = storage?.getItem(SETTINGS_KEY)
    const saved = raw ? JSON.parse(raw) as Partial<CallSettings> : {}
    const s = { ...DEFAULT_SETTINGS }
    if (typeof saved.cameraId === 'string') s.cameraId = saved.cameraId
    if (typeof saved.micId === 'string') s.micId = saved.micId
    for (const k of ['noiseSuppression', 'echoCancellation', 'autoGainControl', 'dataSaver'] as const) {
      if (typeof saved[k] === 'boolean') s[k] = saved[k] as boolean
    }
    return s
  } catch {
    return { ...DEFAULT_SETTINGS }
  }
}

/** getUserMedia constraints for the microphone. */
export function audioConstraints (s: CallSettings): MediaTrackConstraints {
  return {
    ...(s.micId ? { deviceId: s.micId } : {}),
    noiseSuppression: s.noiseSuppression,
    echoCancellation: s.echoCancellation,
    autoGainControl: s.autoGainControl
  }
}

/** getUserMedia constraints for the camera: 720p when it can, so that all three simulcast layers are sent. */
export function videoConstraints (s: CallSettings): MediaTrackConstraints {
  return {
    ...(s.cameraId ? { deviceId: s.cameraId } : {}),
    width: { ideal: 1280 },
    height: { ideal: 720 },
    frameRate: { ideal: 24, max: 30 }
  }
}

/** Why a camera, microphone or screen could not be used, in words. */
export function mediaErrorWords (err: unknown, what = 'camera or microphone'): string {
  const name = (err as { name?: unknown } | null)?.name
  switch (name) {
    case 'NotAllowedError': return `Access to the ${what} was denied. Allow it in the browser to be seen and heard.`
    case 'NotFoundError':
    case 'OverconstrainedError': return `No ${what} was found.`
    case 'NotReadableError': return `The ${what} is in use by another application.`
    default: return `The ${what} could not be used${err instanceof Error && err.message ? `: ${err.message}` : ''}.`
  }
}

const isVideoSource = (s: TrackSource) => s === 'camera' || s === 'screen'

export function createCall (opts: CallOptions = {}): CallStore {
  const agent = opts.agent ?? defaultApi
  const urlOf = opts.url ?? ((room: string) => callUrl(room))
  const WS = opts.WebSocketImpl ?? (typeof WebSocket === 'undefined' ? undefined : WebSocket)
  const PC = opts.PeerConnection ?? (typeof RTCPeerConnection === 'undefined' ? undefined : RTCPeerConnection)
  const Stream = opts.MediaStreamImpl ?? (typeof MediaStream === 'undefined' ? undefined : MediaStream)
  const RO = opts.ResizeObserverImpl ?? (typeof ResizeObserver === 'undefined' ? undefined : ResizeObserver)
  const media = opts.media ?? (() => (typeof navigator === 'undefined' ? undefined : navigator.mediaDevices))
  const events = opts.events === undefined ? (typeof window === 'undefined' ? null : window) : opts.events
  const storage = opts.storage === undefined ? (typeof localStorage === 'undefined' ? null : localStorage) : opts.storage
  const backoff = opts.backoff ?? ((n: number) => backoffDelay(n))
  const statsInterval = opts.statsInterval ?? 2000
  const viewportDelay = opts.viewportDelay ?? 300
  const negotiationTimeout = opts.negotiationTimeout ?? 15_000
  const debugHandle = opts.debugHandle ?? true

  // ---------------------------------------------------------------- state
  const [state, setState] = createSignal<CallState>('idle')
  const [roomId, setRoomId] = createSignal<string | null>(null)
  const [selfId, setSelfId] = createSignal<string | null>(null)
  const [grants, setGrants] = createSignal<Grants | null>(null)
  const [limit, setLimit] = createSignal(0)
  const [roster, setRoster] = createSignal<ParticipantView[]>([])
  const [speakers, setSpeakers] = createSignal<ReadonlySet<string>>(new Set())
  const [layers, setLayers] = createSignal<Readonly<Record<string, Layer>>>({})
  const [quality, setQuality] = createSignal<Readonly<Record<string, Quality>>>({})
  const [remote, setRemote] = createSignal<RemoteTrack[]>([])
  const [micTrack, setMicTrack] = createSignal<MediaStreamTrack | null>(null)
  const [cameraTrack, setCameraTrack] = createSignal<MediaStreamTrack | null>(null)
  const [screenTrack, setScreenTrack] = createSignal<MediaStreamTrack | null>(null)
  const [screenAudioTrack, setScreenAudioTrack] = createSignal<MediaStreamTrack | null>(null)
  const [micOn, setMicOn] = createSignal(true)
  const [cameraOn, setCameraOn] = createSignal(true)
  const [settings, setSettings] = createSignal<CallSettings>(readSettings(storage))
  const [devices, setDevices] = createSignal<Devices>({ cameras: [], microphones: [] })
  const [endedReason, setEndedReason] = createSignal<string | null>(null)
  const [notice, setNotice] = createSignal<string | null>(null)
  const [mediaError, setMediaError] = createSignal<string | null>(null)
  const [pinned, setPinned] = createSignal<string | null>(null)
  const [viewersMayPublish, setViewersMayPublish] = createSignal(false)

  const active = createMemo(() => {
    const s = state()
    return s === 'joining' || s === 'connected' || s === 'reconnecting'
  })

  const participants = createMemo<ParticipantView[]>(() => {
    const id = selfId()
    const all = roster()
    if (!id) return all
    const self = all.find((p) => p.id === id) ?? {
      id,
      user_id: opts.selfUserId?.() ?? '',
      name: opts.selfName?.() ?? 'You',
      tracks: [],
      moderator: grants()?.moderate ?? false,
      joined_at: 0
    }
    return [self, ...all.filter((p) => p.id !== id)]
  })

  // ---------------------------------------------------------------- connection bookkeeping
  let socket: WebSocket | null = null
  /** Bumped whenever the socket (and with it the server's side of the call) is replaced or given up. */
  let session = 0
  let attempt = 0
  let everJoined = false
  /** The call is over for this tab (left, refused, ended): never reconnect. */
  let ended = true
  let relay = false
  let browserOffline = opts.online ? !opts.online() : (typeof navigator !== 'undefined' && navigator.onLine === false)
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let iceServers: Promise<RTCIceServer[]> = Promise.resolve([])

  let pub: RTCPeerConnection | null = null
  let sub: RTCPeerConnection | null = null
  /** The publisher's transceivers by what they send. */
  const pubs = new Map<TrackSource, RTCRtpTransceiver>()
  /** Video transceivers that stopped sending (a screen share ended), reused by the next share. */
  let spare: RTCRtpTransceiver[] = []
  let pubPending = false
  let pubQueued = false
  let pubQueuedRestart = false
  let pubRetries = 0
  let pubTimer: ReturnType<typeof setTimeout> | undefined
  let subChain: Promise<void> = Promise.resolve()
  /** The latest subscribe offer's tracks by mid. */
  const offerTracks = new Map<string, SubscribedTrack>()
  let peersReady: Promise<void> = Promise.resolve()
  let releasePeers: () => void = () => {}
  let restartTimer: ReturnType<typeof setTimeout> | undefined
  let restarts = 0
  let statsTimer: ReturnType<typeof setInterval> | undefined
  let prevInbound = new Map<string, InboundSample>()
  let noticeTimer: ReturnType<typeof setTimeout> | undefined

  const isOpen = () => !!socket && socket.readyState === 1
  const send = (command: CallCommand): boolean => {
    if (!socket || socket.readyState !== 1) return false
    try {
      socket.send(JSON.stringify(command))
      return true
    } catch {
      return false
    }
  }

  const say = (words: string | null, ms = 8000) => {
    clearTimeout(noticeTimer)
    setNotice(words)
    if (words && ms > 0) noticeTimer = setTimeout(() => setNotice(null), ms)
  }

  // ---------------------------------------------------------------- streams
  const streams = new WeakMap<MediaStreamTrack, MediaStream>()
  const streamFor = (track: MediaStreamTrack): MediaStream | null => {
    if (!Stream) return null
    let s = streams.get(track)
    if (!s) {
      s = new Stream([track])
      streams.set(track, s)
    }
    return s
  }
  const remoteVideo = (participantId: string, source: TileSource) =>
    remote().find((r) => r.participant_id === participantId && r.source === source && r.kind === 'video')

  const streamOf = (participantId: string, source: TileSource): MediaStream | null => {
    if (participantId === selfId()) {
      const t = source === 'camera' ? cameraTrack() : screenTrack()
      return t ? streamFor(t) : null
    }
    const r = remoteVideo(participantId, source)
    return r ? streamFor(r.track) : null
  }
  const participantById = (id: string) => participants().find((p) => p.id === id)
  const micOff = (id: string) => (id === selfId() ? !micTrack() || !micOn() : isOff(participantById(id), 'microphone'))
  const cameraOff = (id: string) => (id === selfId() ? !cameraTrack() || !cameraOn() : isOff(participantById(id), 'camera'))

  // ---------------------------------------------------------------- local media
  const saveSettings = (s: CallSettings) => {
    try {
      storage?.setItem(SETTINGS_KEY, JSON.stringify(s))
    } catch {
      // storage disabled: remembered for this page only
    }
  }

  const refreshDevices = async () => {
    const md = media()
    if (!md?.enumerateDevices) return
    try {
      const all = await md.enumerateDevices()
      setDevices({
        cameras: all.filter((d) => d.kind === 'videoinput'),
        microphones: all.filter((d) => d.kind === 'audioinput')
      })
    } catch {
      // no devices to list
    }
  }

  /** Asks for the camera and/or microphone: both in one prompt, each alone if that fails. */
  const acquire = async (audio: boolean, video: boolean): Promise<{ audio: MediaStreamTrack | null, video: MediaStreamTrack | null, error: string | null }> => {
    if (!audio && !video) return { audio: null, video: null, error: null }
    const md = media()
    const what = audio && video ? 'camera and microphone' : audio ? 'microphone' : 'camera'
    if (!md?.getUserMedia) return { audio: null, video: null, error: `This browser cannot use a ${what} here.` }
    const s = settings()
    try {
      const stream = await md.getUserMedia({ audio: audio ? audioConstraints(s) : false, video: video ? videoConstraints(s) : false })
      return { audio: stream.getAudioTracks()[0] ?? null, video: stream.getVideoTracks()[0] ?? null, error: null }
    } catch (err) {
      if (!(audio && video)) return { audio: null, video: null, error: mediaErrorWords(err, what) }
      const a = await acquire(true, false)
      const v = await acquire(false, true)
      return { audio: a.audio, video: v.video, error: a.error ?? v.error }
    }
  }

  /** Gets the microphone and camera that are switched on and missing (of those asked for). */
  const ensureLocalTracks = async (mic = true, camera = true) => {
    const wantMic = mic && micOn() && !micTrack()
    const wantCam = camera && cameraOn() && !cameraTrack()
    if (!wantMic && !wantCam) return
    const got = await acquire(wantMic, wantCam)
    setMediaError(got.error)
    // Switched off or given up while the browser asked: not wanted any more.
    const keep = state() === 'prejoin' || active()
    if (got.audio) {
      if (keep && !micTrack()) {
        got.audio.enabled = micOn()
        setMicTrack(got.audio)
      } else got.audio.stop()
    }
    if (got.video) {
      if (keep && !cameraTrack()) {
        got.video.enabled = cameraOn()
        setCameraTrack(got.video)
      } else got.video.stop()
    }
    if (got.audio || got.video) void refreshDevices()
  }

  const stopLocalMedia = () => {
    for (const t of [micTrack(), cameraTrack(), screenTrack(), screenAudioTrack()]) {
      if (t) {
        t.onended = null
        t.stop()
      }
    }
    batch(() => {
      setMicTrack(null)
      setCameraTrack(null)
      setScreenTrack(null)
      setScreenAudioTrack(null)
    })
  }

  // ---------------------------------------------------------------- publisher
  const mutedOf = (source: TrackSource) =>
    source === 'microphone' ? !micOn() : source === 'camera' ? !cameraOn() : false

  const publishedTracks = (): PublishedTrack[] => {
    const out: PublishedTrack[] = []
    for (const [source, t] of pubs) {
      if (t.mid !== null && t.direction === 'sendonly' && t.sender.track) out.push({ mid: t.mid, source, muted: mutedOf(source) })
    }
    return out
  }

  const rtcConfig = (servers: RTCIceServer[]): RTCConfiguration => ({
    iceServers: servers,
    iceTransportPolicy: relay ? 'relay' : 'all'
  })
  let currentServers: RTCIceServer[] = []

  const candidateSender = (pc: RTCPeerConnection, peer: 'publisher' | 'subscriber') => (e: RTCPeerConnectionIceEvent) => {
    if (pc !== pub && pc !== sub) return
    const c = e.candidate?.candidate
    if (c) send({ type: 'ice_candidate', peer, candidate: c })
  }

  const ensurePublisher = (): RTCPeerConnection | null => {
    if (pub) return pub
    if (!PC) return null
    const pc = new PC(rtcConfig(currentServers))
    pc.onicecandidate = candidateSender(pc, 'publisher')
    pc.oniceconnectionstatechange = () => onIceState(pc)
    pub = pc
    return pc
  }

  /** Starts sending `track` as `source` (renegotiation is the caller's). */
  const addPublication = async (source: TrackSource, track: MediaStreamTrack) => {
    const pc = ensurePublisher()
    if (!pc) return
    const existing = pubs.get(source)
    if (existing) {
      await existing.sender.replaceTrack(track)
      existing.direction = 'sendonly'
      return
    }
    let t: RTCRtpTransceiver
    const stream = Stream ? streamFor(track) : null
    if (source === 'camera') {
      t = pc.addTransceiver(track, {
        direction: 'sendonly',
        streams: stream ? [stream] : [],
        sendEncodings: CAMERA_ENCODINGS.map((e) => ({ ...e }))
      })
    } else if (source === 'microphone') {
      t = pc.addTransceiver(track, { direction: 'sendonly' })
    } else {
      const kind = isVideoSource(source) ? 'video' : 'audio'
      const reuse = spare.find((x) => x.receiver.track?.kind === kind)
      if (reuse) {
        spare = spare.filter((x) => x !== reuse)
        await reuse.sender.replaceTrack(track)
        reuse.direction = 'sendonly'
        t = reuse
      } else {
        t = pc.addTransceiver(track, { direction: 'sendonly', streams: stream ? [stream] : [] })
      }
    }
    pubs.set(source, t)
  }

  /** Stops sending `source`: no track, inactive (renegotiation is the caller's). */
  const removePublication = (source: TrackSource) => {
    const t = pubs.get(source)
    if (!t) return
    pubs.delete(source)
    void t.sender.replaceTrack(null).catch(() => {})
    try {
      t.direction = 'inactive'
    } catch {
      // the connection is closed
    }
    if (source !== 'camera' && source !== 'microphone') spare.push(t)
  }

  /**
   * Video keeps its resolution under CPU or bandwidth pressure and drops
   * frames instead: the SFU picks a layer per viewer by tile size and bandwidth,
   * so each layer should stay the size it says.
   */
  const tuneSenders = async () => {
    for (const source of ['camera', 'screen'] as const) {
      const sender = pubs.get(source)?.sender
      if (!sender?.getParameters) continue
      try {
        const p = sender.getParameters() as RTCRtpSendParameters & { degradationPreference?: string }
        if (p.degradationPreference === 'maintain-resolution') continue
        p.degradationPreference = 'maintain-resolution'
        await sender.setParameters(p)
      } catch {
        // not supported here: the browser's default
      }
    }
  }

  const runQueuedPublish = () => {
    if (!pubQueued) return
    const restart = pubQueuedRestart
    pubQueued = false
    pubQueuedRestart = false
    void negotiatePublisher(restart)
  }

  /** Offers the publisher's current transceivers (one negotiation at a time; later ones queue). */
  const negotiatePublisher = async (iceRestart = false): Promise<void> => {
    const pc = pub
    if (!pc || !isOpen()) return
    if (pubPending) {
      pubQueued = true
      pubQueuedRestart ||= iceRestart
      return
    }
    const mine = session
    pubPending = true
    try {
      const offer = await pc.createOffer(iceRestart ? { iceRestart: true } : undefined)
      if (pc !== pub || mine !== session) return
      await pc.setLocalDescription(offer)
      if (pc !== pub || mine !== session) return
      const sdp = pc.localDescription?.sdp ?? offer.sdp ?? ''
      if (!send({ type: 'publish_offer', sdp, tracks: publishedTracks() })) {
        pubPending = false
        await pc.setLocalDescription({ type: 'rollback' }).catch(() => {})
        return
      }
      clearTimeout(pubTimer)
      pubTimer = setTimeout(() => { void publishTimedOut(pc, mine) }, negotiationTimeout)
    } catch (err) {
      console.warn('call: publish offer failed', err)
      if (pc === pub && mine === session) {
        pubPending = false
        runQueuedPublish()
      }
    }
  }

  const publishTimedOut = async (pc: RTCPeerConnection, mine: number) => {
    if (pc !== pub || mine !== session || !pubPending) return
    pubPending = false
    await pc.setLocalDescription({ type: 'rollback' }).catch(() => {})
    if (pubRetries < 2) {
      pubRetries += 1
      pubQueued = true
    }
    runQueuedPublish()
  }

  const onPublishAnswer = async (sdp: string) => {
    const pc = pub
    if (!pc || !pubPending || pc.signalingState !== 'have-local-offer') return
    clearTimeout(pubTimer)
    const mine = session
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp })
      pubRetries = 0
      void tuneSenders()
    } catch (err) {
      console.warn('call: publish answer not applied', err)
    }
    if (pc !== pub || mine !== session) return
    pubPending = false
    runQueuedPublish()
  }

  /** Publishes whatever local media there is (after `joined`, also after a rejoin). */
  const publishLocal = async (mine: number) => {
    await ensureLocalTracks()
    if (mine !== session || !grants()?.publish) return
    const wanted: [TrackSource, MediaStreamTrack | null][] = [
      ['microphone', micTrack()],
      ['camera', cameraTrack()],
      ['screen', screenTrack()],
      ['screen_audio', screenAudioTrack()]
    ]
    let added = false
    for (const [source, track] of wanted) {
      if (track && !pubs.has(source)) {
        await addPublication(source, track)
        added = true
      }
    }
    if (mine !== session) return
    if (added) await negotiatePublisher()
  }

  const unpublishAll = () => {
    const had = pubs.size > 0
    for (const source of [...pubs.keys()]) removePublication(source)
    stopLocalMedia()
    if (had) void negotiatePublisher()
  }

  // ---------------------------------------------------------------- subscriber
  const syncRemote = () => {
    const pc = sub
    if (!pc) {
      if (remote().length) setRemote([])
      return
    }
    const prev = remote()
    const next: RemoteTrack[] = []
    for (const t of pc.getTransceivers()) {
      const info = t.mid !== null ? offerTracks.get(t.mid) : undefined
      const track = t.receiver?.track
      if (!info || !track) continue
      const same = prev.find((r) => r.mid === info.mid && r.track === track && r.track_id === info.track_id &&
        r.participant_id === info.participant_id && r.source === info.source)
      next.push(same ?? { ...info, track })
    }
    if (next.length !== prev.length || next.some((r, i) => r !== prev[i])) setRemote(next)
  }

  const onSubscribeOffer = (sdp: string, tracks: SubscribedTrack[], mine: number) => {
    subChain = subChain.then(async () => {
      await peersReady
      const pc = sub
      if (!pc || mine !== session) return
      try {
        offerTracks.clear()
        for (const t of tracks) offerTracks.set(t.mid, t)
        await pc.setRemoteDescription({ type: 'offer', sdp })
        const answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        if (pc !== sub || mine !== session) return
        const local = pc.localDescription?.sdp ?? answer.sdp ?? ''
        send({ type: 'subscribe_answer', sdp: settings().dataSaver ? withReceiveLimit(local, DATA_SAVER_KBPS) : local })
        syncRemote()
        scheduleViewport()
      } catch (err) {
        console.warn('call: subscribe offer not answered', err)
      }
    })
  }

  // ---------------------------------------------------------------- peers
  const createPeers = (servers: RTCIceServer[]) => {
    closePeers()
    currentServers = servers
    if (!PC) return
    const pc = new PC(rtcConfig(servers))
    pc.onicecandidate = candidateSender(pc, 'subscriber')
    pc.oniceconnectionstatechange = () => onIceState(pc)
    pc.ontrack = () => { if (pc === sub) syncRemote() }
    sub = pc
  }

  const closePeers = () => {
    for (const pc of [pub, sub]) {
      if (!pc) continue
      pc.onicecandidate = null
      pc.oniceconnectionstatechange = null
      pc.ontrack = null
      try {
        pc.close()
      } catch {
        // already closed
      }
    }
    pub = null
    sub = null
    pubs.clear()
    spare = []
    pubPending = false
    pubQueued = false
    pubQueuedRestart = false
    pubRetries = 0
    clearTimeout(pubTimer)
    clearTimeout(restartTimer)
    restartTimer = undefined
    offerTracks.clear()
    prevInbound = new Map()
    setRemote([])
  }

  const healthy = () =>
    isOpen() && !browserOffline &&
    [pub, sub].every((pc) => !pc || (pc.iceConnectionState !== 'disconnected' && pc.iceConnectionState !== 'failed'))

  /** connected ⇄ reconnecting, from the socket, the browser's network and both connections. */
  const refreshConnected = () => {
    if (!everJoined || ended) return
    const s = state()
    if (s !== 'connected' && s !== 'reconnecting') return
    if (healthy()) {
      restarts = 0
      setState('connected')
    } else {
      setState('reconnecting')
    }
  }

  /** Restarts ICE on both connections: a new publisher offer, and the SFU asked to offer the subscriber anew. */
  const iceRestart = () => {
    clearTimeout(restartTimer)
    restartTimer = undefined
    if (!isOpen() || browserOffline) return
    restarts += 1
    if (pub && pubs.size > 0) void negotiatePublisher(true)
    if (sub) send({ type: 'ice_restart' })
  }

  const scheduleIceRestart = (delay: number) => {
    if (restartTimer !== undefined) return
    const wait = Math.max(delay, restarts > 0 ? Math.min(10_000, 1000 * 2 ** (restarts - 1)) : 0)
    restartTimer = setTimeout(() => {
      restartTimer = undefined
      if (!healthy()) iceRestart()
    }, wait)
  }

  const onIceState = (pc: RTCPeerConnection) => {
    if (pc !== pub && pc !== sub) return
    const s = pc.iceConnectionState
    if (s === 'failed') scheduleIceRestart(0)
    else if (s === 'disconnected') scheduleIceRestart(DISCONNECT_GRACE)
    refreshConnected()
  }

  // ---------------------------------------------------------------- network quality
  const sampleStats = async () => {
    const mine = session
    const next: Record<string, Quality> = {}
    try {
      if (sub) {
        const samples = inboundSamples(await sub.getStats())
        const byMid = new Map([...offerTracks.values()].map((t) => [t.mid, t.participant_id]))
        const owners = inboundQualities(prevInbound, samples, (s) =>
          (s.mid !== undefined ? byMid.get(s.mid) : undefined) ??
          remote().find((r) => r.track.id === s.trackIdentifier)?.participant_id ?? null)
        prevInbound = new Map(samples.map((s) => [s.id, s]))
        for (const [id, q] of owners) next[id] = q
      }
      const own = pub ?? sub
      const id = selfId()
      if (own && id) next[id] = scoreConnection(selectedPair(await own.getStats()))
    } catch {
      return
    }
    if (mine === session) setQuality(next)
  }

  const startStats = () => {
    clearInterval(statsTimer)
    if (statsInterval > 0) statsTimer = setInterval(() => { void sampleStats() }, statsInterval)
  }

  // ---------------------------------------------------------------- viewport
  const shown = new Map<Element, ShownSize>()
  let observer: ResizeObserver | null = null
  let viewportTimer: ReturnType<typeof setTimeout> | undefined
  let lastViewport = ''

  const measure = (el: Element) => {
    const entry = shown.get(el)
    if (!entry) return
    const rect = el.getBoundingClientRect()
    const dpr = (typeof window !== 'undefined' && window.devicePixelRatio) || 1
    entry.width = Math.round(rect.width * dpr)
    entry.height = Math.round(rect.height * dpr)
  }

  const sendViewport = () => {
    viewportTimer = undefined
    if (!everJoined || ended || !isOpen()) return
    const ids = remote().filter((r) => r.kind === 'video').map((r) => r.track_id)
    const tracks = viewportsFor(ids, shown.values())
    const key = JSON.stringify(tracks)
    if (key === lastViewport || tracks.length === 0) return
    if (send({ type: 'viewport', tracks })) lastViewport = key
  }

  function scheduleViewport () {
    clearTimeout(viewportTimer)
    viewportTimer = setTimeout(sendViewport, viewportDelay)
  }

  const observeTile = (el: Element, trackId: string) => {
    shown.set(el, { trackId, width: 0, height: 0 })
    measure(el)
    if (!observer && RO) {
      observer = new RO((entries) => {
        for (const e of entries) measure(e.target)
        scheduleViewport()
      })
    }
    observer?.observe(el)
    scheduleViewport()
    return () => {
      observer?.unobserve(el)
      shown.delete(el)
      scheduleViewport()
    }
  }

  // ---------------------------------------------------------------- debug handle
  const debug: CallDebugHandle = {
    get publisher () { return pub },
    get subscriber () { return sub },
    state: () => state(),
    participants: () => participants(),
    selfId: () => selfId(),
    tracks: () => remote().map(({ track: _track, ...info }) => info)
  }
  const installHandle = () => {
    if (debugHandle && typeof window !== 'undefined') window.__reynardCall = debug
  }
  const removeHandle = () => {
    if (typeof window !== 'undefined' && window.__reynardCall === debug) delete window.__reynardCall
  }

  // ---------------------------------------------------------------- the socket
  const fetchIceServers = async (): Promise<RTCIceServer[]> => {
    try {
      const answer = await agent.rtc.iceServers()
      return (answer?.iceServers ?? []).map((s) => ({
        urls: s.urls,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {})
      }))
    } catch (err) {
      console.warn('call: no ICE servers', err)
      return []
    }
  }


  const connect = () => {
    clearTimeout(retryTimer)
    const room = roomId()
    if (!room || ended || !WS) return
    if (socket) {
      discard(socket)
      socket = null
    }
    session += 1
    const mine = session
    subChain = Promise.resolve()
    peersReady = new Promise((resolve) => { releasePeers = resolve })
    lastViewport = ''
    iceServers = fetchIceServers()
    const ws = new WS(urlOf(room))
    socket = ws
    ws.onopen = () => { if (socket === ws) refreshConnected() }
    ws.onmessage = (e: MessageEvent) => {
      if (socket !== ws) return
      const event = parseCallEvent(e.data)
      if (event) void handle(event, mine)
    }
    ws.onclose = (e: CloseEvent) => {
      if (socket !== ws) return
      socket = null
      detach(ws)
      socketClosed(e.code, e.reason)
    }
    ws.onerror = () => { /* a close follows */ }
  }

  const socketClosed = (code: number, reason: string) => {
    // The server forgot this participant's connections with the socket.
    session += 1
    releasePeers()
    closePeers()
    clearInterval(statsTimer)
    if (ended) return
    const words = callCloseWords(code, reason)
    if (words) {
      finish(words)
      return
    }
    if (!everJoined && attempt + 1 >= JOIN_ATTEMPTS) {
      finish('The call could not be reached. Try again later.')
      return
    }
    setState(everJoined ? 'reconnecting' : 'joining')
    if (browserOffline) return // `online` reconnects
    const delay = backoff(attempt)
    attempt += 1
    retryTimer = setTimeout(connect, delay)
  }

  /** The call is over for this tab: `reason` says why (null: the person left). */
  const finish = (reason: string | null) => {
    ended = true
    everJoined = false
    clearTimeout(retryTimer)
    clearInterval(statsTimer)
    clearTimeout(viewportTimer)
    session += 1
    releasePeers()
    if (socket) {
      const ws = socket
      socket = null
      discard(ws)
    }
    closePeers()
    stopLocalMedia()
    removeHandle()
    batch(() => {
      setState(reason ? 'left' : 'idle')
      setEndedReason(reason)
      setSelfId(null)
      setGrants(null)
      setRoster([])
      setSpeakers(new Set<string>())
      setLayers({})
      setQuality({})
      setPinned(null)
      if (!reason) setRoomId(null)
    })
  }

  const handle = async (event: CallEvent, mine: number) => {
    switch (event.type) {
      case 'joined': {
        everJoined = true
        attempt = 0
        batch(() => {
          setSelfId(event.participant_id)
          setGrants(event.grants)
          setLimit(event.limit)
          setRoster([...event.participants].sort((a, b) => a.joined_at - b.joined_at))
          setSpeakers(new Set<string>())
          setLayers({})
          setState(healthy() ? 'connected' : 'reconnecting')
        })
        const servers = await iceServers
        if (mine !== session) return
        createPeers(servers)
        releasePeers()
        startStats()
        if (event.grants.publish) {
          await publishLocal(mine)
        } else {
          // Receive only; switched on once allowed to publish.
          stopLocalMedia()
          batch(() => {
            setMicOn(false)
            setCameraOn(false)
          })
        }
        return
      }
      case 'participant_joined':
      case 'participant_updated':
        setRoster((r) => withParticipant(r, event.participant))
        return
      case 'participant_left': {
        const id = event.participant_id
        for (const [mid, t] of offerTracks) if (t.participant_id === id) offerTracks.delete(mid)
        batch(() => {
          setRoster((r) => withoutParticipant(r, id))
          setRemote((r) => r.filter((t) => t.participant_id !== id))
          setSpeakers((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : s))
          const p = pinned()
          if (p && p.startsWith(`${id}:`)) setPinned(null)
        })
        return
      }
      case 'grants': {
        const before = grants()
        setGrants(event.grants)
        if (before?.publish && !event.grants.publish) unpublishAll()
        else if (!event.grants.screen && screenTrack()) stopScreenShare()
        return
      }
      case 'publish_answer':
        await onPublishAnswer(event.sdp)
        return
      case 'subscribe_offer':
        onSubscribeOffer(event.sdp, event.tracks, mine)
        return
      case 'active_speakers':
        setSpeakers(new Set(event.participant_ids))
        return
      case 'layer_changed':
        setLayers((l) => ({ ...l, [event.track_id]: event.layer }))
        return
      case 'muted_by_moderator':
        mutedByModerator(event.source)
        return
      case 'left':
        finish(leaveWords(event.reason))
        return
      case 'error':
        console.warn(`call socket: ${event.code}: ${event.message}`)
        say(event.message || event.code)
    }
  }

  const mutedByModerator = (source: TrackSource) => {
    if (source === 'microphone') {
      setMicOn(false)
      const t = micTrack()
      if (t) t.enabled = false
    } else if (source === 'camera') {
      setCameraOn(false)
      const t = cameraTrack()
      if (t) t.enabled = false
    } else {
      stopScreenShare()
    }
    say(`A moderator muted your ${sourceWords(source)}.`, 0)
  }

  // ---------------------------------------------------------------- actions
  const prepare = async (room: string) => {
    if (active()) return
    ended = true
    batch(() => {
      setRoomId(room)
      setEndedReason(null)
      setMediaError(null)
      setState('prejoin')
    })
    await refreshDevices()
    await ensureLocalTracks()
  }

  const cancelPrepare = () => {
    if (state() !== 'prejoin') return
    stopLocalMedia()
    batch(() => {
      setState('idle')
      setRoomId(null)
      setMediaError(null)
    })
  }

  const join = (room: string, joinOpts: JoinOptions = {}) => {
    if (active() && roomId() === room) return
    if (active()) leave()
    relay = !!joinOpts.relay
    ended = false
    everJoined = false
    attempt = 0
    restarts = 0
    batch(() => {
      setRoomId(room)
      setEndedReason(null)
      setMediaError(null)
      setNotice(null)
      setViewersMayPublish(false)
      setState('joining')
    })
    installHandle()
    connect()
  }

  const leave = () => {
    if (state() === 'prejoin') {
      cancelPrepare()
      return
    }
    if (ended && state() !== 'left') return
    send({ type: 'leave' })
    finish(null)
  }

  /** Switches a local source on or off; publishes it the first time it is switched on in a call. */
  const setLocal = async (source: 'microphone' | 'camera', on: boolean) => {
    const setOn = source === 'microphone' ? setMicOn : setCameraOn
    const track = source === 'microphone' ? micTrack : cameraTrack
    setOn(on)
    const t = track()
    if (t) {
      t.enabled = on
      if (active() && pubs.has(source)) send({ type: 'mute', source, muted: !on })
      return
    }
    if (!on) return
    const mic = source === 'microphone'
    if (state() === 'prejoin') {
      await ensureLocalTracks(mic, !mic)
      return
    }
    if (!active() || !grants()?.publish) return
    const mine = session
    await ensureLocalTracks(mic, !mic)
    const got = track()
    if (!got || mine !== session || !sub) return
    await addPublication(source, got)
    await negotiatePublisher()
  }

  const startScreenShare = async () => {
    if (!active() || !grants()?.screen || screenTrack()) return
    const md = media()
    if (!md?.getDisplayMedia) {
      setMediaError('This browser cannot share a screen.')
      return
    }
    let stream: MediaStream
    try {
      stream = await md.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: true })
    } catch (err) {
      if ((err as { name?: string })?.name !== 'NotAllowedError') setMediaError(mediaErrorWords(err, 'screen'))
      return
    }
    const video = stream.getVideoTracks()[0] ?? null
    const audio = stream.getAudioTracks()[0] ?? null
    if (!video || !active() || !sub) {
      for (const t of stream.getTracks()) t.stop()
      return
    }
    setMediaError(null)
    try {
      video.contentHint = 'detail'
    } catch {
      // not supported
    }
    // The browser's own "Stop sharing" ends the track.
    video.onended = () => { if (screenTrack() === video) stopScreenShare() }
    batch(() => {
      setScreenTrack(video)
      setScreenAudioTrack(audio)
    })
    await addPublication('screen', video)
    if (audio) await addPublication('screen_audio', audio)
    await negotiatePublisher()
  }

  const stopScreenShare = () => {
    const video = screenTrack()
    const audio = screenAudioTrack()
    if (!video && !audio) return
    for (const t of [video, audio]) {
      if (t) {
        t.onended = null
        t.stop()
      }
    }
    batch(() => {
      setScreenTrack(null)
      setScreenAudioTrack(null)
    })
    const had = pubs.has('screen') || pubs.has('screen_audio')
    removePublication('screen')
    removePublication('screen_audio')
    if (had) void negotiatePublisher()
    setPinned((p) => (p === tileKey(selfId() ?? '', 'screen') ? null : p))
  }

  /** A new device or audio processing: the track is replaced, in the call too. */
  const setSetting = async <K extends keyof CallSettings>(key: K, value: CallSettings[K]) => {
    const next = { ...settings(), [key]: value }
    setSettings(next)
    saveSettings(next)
    // Takes effect with the next answer: ask for one at once.
    if (key === 'dataSaver') {
      if (state() === 'connected') send({ type: 'ice_restart' })
      return
    }
    const audio = key !== 'cameraId'
    const old = audio ? micTrack() : cameraTrack()
    if (!old) return
    const got = await acquire(audio, !audio)
    const fresh = audio ? got.audio : got.video
    if (!fresh) {
      setMediaError(got.error)
      return
    }
    setMediaError(null)
    if ((audio ? micTrack() : cameraTrack()) !== old) {
      fresh.stop()
      return
    }
    fresh.enabled = audio ? micOn() : cameraOn()
    const source: TrackSource = audio ? 'microphone' : 'camera'
    const t = pubs.get(source)
    if (t) await t.sender.replaceTrack(fresh).catch(() => {})
    if (audio) setMicTrack(fresh)
    else setCameraTrack(fresh)
    old.stop()
  }

  const moderate = (command: CallCommand) => (grants()?.moderate ? send(command) : false)

  // ---------------------------------------------------------------- the browser's network
  const onOnline = () => {
    browserOffline = false
    if (ended) return
    if (isOpen() && everJoined) {
      iceRestart()
      refreshConnected()
    } else if (!socket) {
      attempt = 0
      connect()
    }
  }
  const onOffline = () => {
    browserOffline = true
    clearTimeout(retryTimer)
    refreshConnected()
  }
  // Closing or reloading the page leaves on purpose (the others see "left", not "disconnected").
  const onPageHide = () => { if (active()) send({ type: 'leave' }) }
  events?.addEventListener('online', onOnline)
  events?.addEventListener('offline', onOffline)
  events?.addEventListener('pagehide', onPageHide)
  const onDeviceChange = () => { void refreshDevices() }
  media()?.addEventListener?.('devicechange', onDeviceChange)

  // New received video: tell the SFU how large it is shown (0×0 until a tile shows it).
  createEffect(on(remote, () => scheduleViewport(), { defer: true }))

  onCleanup(() => {
    events?.removeEventListener('online', onOnline)
    events?.removeEventListener('offline', onOffline)
    events?.removeEventListener('pagehide', onPageHide)
    media()?.removeEventListener?.('devicechange', onDeviceChange)
    if (active()) send({ type: 'leave' })
    finish(null)
    observer?.disconnect()
    clearTimeout(noticeTimer)
  })

  return {
    state,
    roomId,
    selfId,
    grants,
    limit,
    participants,
    active,
    activeSpeakers: speakers,
    layers,
    quality,
    remoteTracks: remote,
    remoteAudio: createMemo(() => remote().filter((r) => r.kind === 'audio')),
    streamOf,
    streamFor,
    videoTrackIdOf: (participantId, source) =>
      participantId === selfId() ? null : remoteVideo(participantId, source)?.track_id ?? null,
    micOff,
    cameraOff,
    micTrack,
    cameraTrack,
    screenTrack,
    micOn,
    cameraOn,
    sharing: () => screenTrack() !== null,
    settings,
    devices,
    endedReason,
    notice,
    dismissNotice: () => say(null),
    mediaError,
    pinned,
    pin: setPinned,
    viewersMayPublish,
    prepare,
    cancelPrepare,
    join,
    leave,
    setMic: (on) => setLocal('microphone', on),
    setCamera: (on) => setLocal('camera', on),
    startScreenShare,
    stopScreenShare,
    setSetting,
    refreshDevices,
    muteParticipant: (participant_id, source) => moderate({ type: 'mute_participant', participant_id, source }),
    removeParticipant: (participant_id) => moderate({ type: 'remove_participant', participant_id }),
    allowViewersToPublish: (allowed) => {
      const ok = moderate({ type: 'allow_viewers_to_publish', allowed })
      if (ok) setViewersMayPublish(allowed)
      return ok
    },
    endCall: () => moderate({ type: 'end_call' }),
    observeTile
  }
}
