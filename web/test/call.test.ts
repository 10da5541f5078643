import { createRoot } from 'solid-js'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { callUrl } from '../src/api'
import type { Grants, ParticipantView } from '../src/callTypes'
import { callTiles, layoutTiles } from '../src/lib/callLayout'
import { createCall, type CallOptions, type CallStore } from '../src/stores/call'
import { fakeApi, memoryStorage } from './fakes'
import {
  FakeMediaDevices,
  FakePeerConnection,
  FakeResizeObserver,
  FakeSocket,
  FakeStream,
  FakeTrack,
  fakeOffer,
  flush,
  sizedElement
} from './rtcFakes'

const EDITOR: Grants = { join: true, publish: true, subscribe: true, screen: true, moderate: false }
const VIEWER: Grants = { join: true, publish: false, subscribe: true, screen: false, moderate: false }

function participant (id: string, name: string, over: Partial<ParticipantView> = {}): ParticipantView {
  return { id, user_id: `u-${id}`, name, tracks: [], moderator: false, joined_at: 1_700_000_000_000 + Number(id.slice(1)), ...over }
}

const bob = (over: Partial<ParticipantView> = {}) => participant('p2', 'Bob', {
  tracks: [
    { id: 't-mic', kind: 'audio', source: 'microphone', muted: false, simulcast: false },
    { id: 't-cam', kind: 'video', source: 'camera', muted: false, simulcast: true }
  ],
  ...over
})

function joined (over: Record<string, unknown> = {}) {
  return {
    type: 'joined',
    participant_id: 'p1',
    room_id: 'r1',
    grants: EDITOR,
    participants: [participant('p1', 'Ada'), bob()],
    limit: 16,
    ...over
  }
}

/** Bob's microphone on mid 0 and camera on mid 1 of the subscriber connection. */
const bobsTracks = [
  { mid: '0', track_id: 't-mic', participant_id: 'p2', kind: 'audio', source: 'microphone' },
  { mid: '1', track_id: 't-cam', participant_id: 'p2', kind: 'video', source: 'camera' }
]
const bobsOffer = () => ({
  type: 'subscribe_offer',
  sdp: fakeOffer([{ mid: '0', kind: 'audio' }, { mid: '1', kind: 'video' }]),
  tracks: bobsTracks
})

describe('the call store', () => {
  let dispose: (() => void) | undefined
  beforeEach(() => {
    FakeSocket.all = []
    FakePeerConnection.all = []
    FakeResizeObserver.all = []
    vi.useFakeTimers()
  })
  afterEach(() => {
    dispose?.()
    dispose = undefined
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  function setup (over: Partial<CallOptions> = {}) {
    const agent = fakeApi()
    agent.rtc.iceServers.mockResolvedValue({
      iceServers: [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: '1700000000:u1', credential: 'c2VjcmV0' }],
      expiresAt: 1_700_000_000
    })
    const devices = new FakeMediaDevices()
    const events = new EventTarget()
    let online = true
    const call = createRoot((d) => {
      dispose = d
      return createCall({
        agent,
        url: (room) => `ws://test/api/v1/rooms/${room}/call`,
        WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
        PeerConnection: FakePeerConnection as unknown as typeof RTCPeerConnection,
        MediaStreamImpl: FakeStream as unknown as typeof MediaStream,
        ResizeObserverImpl: FakeResizeObserver as unknown as typeof ResizeObserver,
        media: () => devices as unknown as MediaDevices,
        events: events as unknown as Window,
        online: () => online,
        storage: memoryStorage(),
        backoff: (n) => 100 * (n + 1),
        statsInterval: 0,
        viewportDelay: 300,
        selfName: () => 'Ada',
        selfUserId: () => 'u-p1',
        ...over
      })
    }) as CallStore
    const goOffline = () => { online = false; events.dispatchEvent(new Event('offline')) }
    const goOnline = () => { online = true; events.dispatchEvent(new Event('online')) }
    const pageHide = () => events.dispatchEvent(new Event('pagehide'))
    return { call, agent, devices, goOffline, goOnline, pageHide }
  }

  /** Joins room r1: the socket opens and the server says `joined`. */
  async function joinCall (call: CallStore, frame: unknown = joined(), opts = {}) {
    call.join('r1', opts)
    const socket = FakeSocket.last()
    socket.open()
    socket.receive(frame)
    await flush()
    return socket
  }

  const handle = () => window.__reynardCall!
  const publisher = () => handle().publisher as unknown as FakePeerConnection
  const subscriber = () => handle().subscriber as unknown as FakePeerConnection

  it('joins on the room\'s call socket and knows who is in the call', async () => {
    const { call } = setup()
    expect(call.state()).toBe('idle')
    expect(window.__reynardCall).toBeUndefined()
    call.join('r1')
    expect(call.state()).toBe('joining')
    expect(FakeSocket.last().url).toBe('ws://test/api/v1/rooms/r1/call')
    FakeSocket.last().open()
    FakeSocket.last().receive(joined())
    await flush()
    expect(call.state()).toBe('connected')
    expect(call.selfId()).toBe('p1')
    expect(call.limit()).toBe(16)
    expect(call.participants().map((p) => p.name)).toEqual(['Ada', 'Bob'])
    expect(handle().state()).toBe('connected')
    expect(handle().participants().map((p) => p.id)).toEqual(['p1', 'p2'])
    // the ICE servers of the API, TURN not forced
    expect(subscriber().config.iceServers).toEqual([
      { urls: ['turn:127.0.0.1:3478?transport=udp'], username: '1700000000:u1', credential: 'c2VjcmV0' }
    ])
    expect(subscriber().config.iceTransportPolicy).toBe('all')

    FakeSocket.last().receive({ type: 'participant_joined', participant: participant('p3', 'Cy') })
    expect(call.participants().map((p) => p.name)).toEqual(['Ada', 'Bob', 'Cy'])
    FakeSocket.last().receive({ type: 'participant_updated', participant: bob({ name: 'Bobby' }) })
    expect(call.participants().map((p) => p.name)).toEqual(['Ada', 'Bobby', 'Cy'])
    FakeSocket.last().receive({ type: 'active_speakers', participant_ids: ['p3'] })
    expect([...call.activeSpeakers()]).toEqual(['p3'])
    FakeSocket.last().receive({ type: 'layer_changed', track_id: 't-cam', layer: 'low' })
    expect(call.layers()).toEqual({ 't-cam': 'low' })
  })

  it('lists itself even when the server\'s roster leaves it out', async () => {
    const { call } = setup()
    await joinCall(call, joined({ participants: [bob()] }))
    expect(call.participants().map((p) => [p.id, p.name])).toEqual([['p1', 'Ada'], ['p2', 'Bob']])
  })

  it('forces TURN when asked to', async () => {
    const { call } = setup()
    await joinCall(call, joined(), { relay: true })
    expect(subscriber().config.iceTransportPolicy).toBe('relay')
    expect(publisher().config.iceTransportPolicy).toBe('relay')
  })

  it('publishes the camera in three simulcast layers and the microphone, with their mids and sources', async () => {
    const { call, devices } = setup()
    const socket = await joinCall(call)
    expect(devices.calls).toHaveLength(1)
    const constraints = devices.calls[0]
    expect(constraints.audio).toMatchObject({ noiseSuppression: true, echoCancellation: true, autoGainControl: true })
    expect(constraints.video).toMatchObject({ width: { ideal: 1280 }, height: { ideal: 720 } })

    const pc = publisher()
    expect(pc).not.toBe(subscriber())
    const [mic, camera] = pc.transceivers
    expect(mic.direction).toBe('sendonly')
    expect(mic.sender.track?.kind).toBe('audio')
    expect(mic.init.sendEncodings).toBeUndefined()
    expect(camera.direction).toBe('sendonly')
    expect(camera.sender.track?.kind).toBe('video')
    expect(camera.init.sendEncodings?.map((e) => [e.rid, e.scaleResolutionDownBy, e.maxBitrate])).toEqual([
      ['q', 4, 150_000], ['h', 2, 500_000], ['f', undefined, 1_500_000]
    ])
    expect(camera.init.streams).toHaveLength(1)

    const offers = socket.of('publish_offer')
    expect(offers).toHaveLength(1)
    expect(offers[0].sdp).toBe(pc.localDescription?.sdp)
    expect(offers[0].tracks).toEqual([
      { mid: '0', source: 'microphone', muted: false },
      { mid: '1', source: 'camera', muted: false }
    ])
    socket.receive({ type: 'publish_answer', sdp: 'v=0 answer' })
    await flush()
    expect(pc.remoteDescription).toEqual({ type: 'answer', sdp: 'v=0 answer' })
    expect(pc.signalingState).toBe('stable')
    // the camera keeps its resolution under pressure (the SFU picks layers)
    expect(camera.sender.params.degradationPreference).toBe('maintain-resolution')
  })

  it('mutes by disabling the local track and telling the server', async () => {
    const { call, devices } = setup()
    const socket = await joinCall(call)
    const [mic] = devices.live('audio')
    await call.setMic(false)
    expect(mic.enabled).toBe(false)
    expect(call.micOff('p1')).toBe(true)
    expect(socket.of('mute')).toEqual([{ type: 'mute', source: 'microphone', muted: true }])
    await call.setCamera(false)
    expect(devices.live('video')[0].enabled).toBe(false)
    expect(socket.of('mute')[1]).toEqual({ type: 'mute', source: 'camera', muted: true })
    await call.setMic(true)
    expect(mic.enabled).toBe(true)
    expect(socket.of('mute')[2]).toEqual({ type: 'mute', source: 'microphone', muted: false })
    expect(devices.calls).toHaveLength(1)
  })

  it('negotiates one publish at a time: a screen share waits for the answer, and stopping it renegotiates without it', async () => {
    const { call, devices } = setup()
    const socket = await joinCall(call)
    await call.setMic(false)
    await call.startScreenShare()
    await flush()
    expect(devices.displayCalls).toHaveLength(1)
    expect(call.sharing()).toBe(true)
    // the first offer is still unanswered
    expect(socket.of('publish_offer')).toHaveLength(1)
    socket.receive({ type: 'publish_answer', sdp: 'v=0 answer 1' })
    await flush()
    const offers = socket.of('publish_offer')
    expect(offers).toHaveLength(2)
    expect(offers[1].tracks).toEqual([
      { mid: '0', source: 'microphone', muted: true },
      { mid: '1', source: 'camera', muted: false },
      { mid: '2', source: 'screen', muted: false }
    ])
    socket.receive({ type: 'publish_answer', sdp: 'v=0 answer 2' })
    await flush()

    const screen = publisher().transceivers[2]
    const screenTrack = screen.sender.track!
    call.stopScreenShare()
    await flush()
    expect(call.sharing()).toBe(false)
    expect(screenTrack.stopped).toBe(true)
    expect(screen.sender.track).toBeNull()
    expect(screen.direction).toBe('inactive')
    expect(socket.of('publish_offer')[2].tracks).toEqual([
      { mid: '0', source: 'microphone', muted: true },
      { mid: '1', source: 'camera', muted: false }
    ])
    socket.receive({ type: 'publish_answer', sdp: 'v=0 answer 3' })
    await flush()
    // sharing again reuses the idle transceiver
    await call.startScreenShare()
    await flush()
    expect(publisher().transceivers).toHaveLength(3)
    expect(screen.direction).toBe('sendonly')
    expect(socket.of('publish_offer')[3].tracks).toContainEqual({ mid: '2', source: 'screen', muted: false })
  })

  it('answers the SFU\'s subscribe offer and knows whose track each mid carries', async () => {
    const { call } = setup()
    const socket = await joinCall(call)
    socket.receive(bobsOffer())
    await flush()
    const pc = subscriber()
    expect(pc.remoteDescription?.type).toBe('offer')
    const answers = socket.of('subscribe_answer')
    expect(answers).toHaveLength(1)
    expect(answers[0].sdp).toBe(pc.localDescription?.sdp)
    expect(pc.localDescription?.type).toBe('answer')

    const camera = pc.transceivers.find((t) => t.mid === '1')!.receiver.track
    const mic = pc.transceivers.find((t) => t.mid === '0')!.receiver.track
    expect(call.remoteTracks().map((r) => [r.mid, r.participant_id, r.source])).toEqual([['0', 'p2', 'microphone'], ['1', 'p2', 'camera']])
    expect((call.streamOf('p2', 'camera') as unknown as FakeStream).tracks).toEqual([camera])
    expect(call.streamOf('p2', 'screen')).toBeNull()
    expect(call.remoteAudio().map((r) => r.track)).toEqual([mic])
    expect(call.videoTrackIdOf('p2', 'camera')).toBe('t-cam')
    expect(handle().tracks()).toEqual(bobsTracks)

    // a later offer: Bob's screen on a new mid, his microphone gone
    socket.receive({
      type: 'subscribe_offer',
      sdp: fakeOffer([{ mid: '0', kind: 'audio' }, { mid: '1', kind: 'video' }, { mid: '2', kind: 'video' }], 'second'),
      tracks: [bobsTracks[1], { mid: '2', track_id: 't-screen', participant_id: 'p2', kind: 'video', source: 'screen' }]
    })
    await flush()
    expect(socket.of('subscribe_answer')).toHaveLength(2)
    expect(call.remoteTracks().map((r) => [r.mid, r.source])).toEqual([['1', 'camera'], ['2', 'screen']])
    expect(call.remoteAudio()).toEqual([])
  })

  it('removes someone\'s tiles when they leave', async () => {
    const { call } = setup()
    const socket = await joinCall(call)
    socket.receive(bobsOffer())
    await flush()
    call.pin('p2:camera')
    expect(callTiles(call.participants(), call.selfId(), call.sharing()).map((t) => t.key)).toEqual(['p1:camera', 'p2:camera'])
    socket.receive({ type: 'participant_left', participant_id: 'p2', reason: 'left' })
    expect(call.participants().map((p) => p.id)).toEqual(['p1'])
    expect(call.remoteTracks()).toEqual([])
    expect(call.streamOf('p2', 'camera')).toBeNull()
    expect(call.pinned()).toBeNull()
    const tiles = callTiles(call.participants(), call.selfId(), call.sharing())
    expect(tiles.map((t) => t.key)).toEqual(['p1:camera'])
    expect(layoutTiles(tiles, call.pinned()).featured).toBeNull()
  })

  it('mutes the local microphone when a moderator does, and says so', async () => {
    const { call, devices } = setup()
    const socket = await joinCall(call)
    const [mic] = devices.live('audio')
    expect(mic.enabled).toBe(true)
    socket.receive({ type: 'muted_by_moderator', source: 'microphone' })
    expect(mic.enabled).toBe(false)
    expect(call.micOn()).toBe(false)
    expect(call.notice()).toBe('A moderator muted your microphone.')
    // unmuting again is the person's choice
    await call.setMic(true)
    expect(mic.enabled).toBe(true)
    expect(socket.of('mute')).toEqual([{ type: 'mute', source: 'microphone', muted: false }])
  })

  it('shows why the server refused (1008) and does not try again', async () => {
    const { call, devices } = setup()
    await call.prepare('r1')
    expect(devices.live('video')).toHaveLength(1)
    call.join('r1')
    FakeSocket.last().drop(1008, 'call_full: the call has 16 participants')
    await flush()
    expect(call.state()).toBe('left')
    expect(call.endedReason()).toBe('The call is full (the call has 16 participants).')
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.all).toHaveLength(1)
    expect(devices.live('video')).toEqual([])
    expect(devices.live('audio')).toEqual([])
    expect(window.__reynardCall).toBeUndefined()
  })

  it('rejoins transparently when the socket drops, republishing the same media', async () => {
    const { call, devices } = setup()
    const first = await joinCall(call)
    first.receive({ type: 'publish_answer', sdp: 'v=0 answer' })
    first.receive(bobsOffer())
    await flush()
    const [oldSub, oldPub] = [subscriber(), publisher()]
    first.drop(1006)
    expect(call.state()).toBe('reconnecting')
    expect(oldSub.closed && oldPub.closed).toBe(true)
    expect(handle().subscriber).toBeNull()
    // the people stay on screen meanwhile
    expect(call.participants().map((p) => p.id)).toEqual(['p1', 'p2'])
    vi.advanceTimersByTime(99)
    expect(FakeSocket.all).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.all).toHaveLength(2)
    const second = FakeSocket.last()
    expect(second.url).toBe(first.url)
    second.open()
    second.receive(joined({ participant_id: 'p9', participants: [participant('p9', 'Ada'), bob()] }))
    await flush()
    expect(call.state()).toBe('connected')
    expect(call.selfId()).toBe('p9')
    expect(subscriber()).not.toBe(oldSub)
    const offers = second.of('publish_offer')
    expect(offers).toHaveLength(1)
    expect(offers[0].tracks.map((t: { source: string }) => t.source)).toEqual(['microphone', 'camera'])
    // the same camera and microphone: nobody is asked again
    expect(devices.calls).toHaveLength(1)
    expect(publisher().transceivers.map((t) => t.sender.track)).toEqual([devices.live('audio')[0], devices.live('video')[0]])
  })

  it('gives up joining after a few refused connections, with words', async () => {
    const { call } = setup()
    call.join('r1')
    for (let i = 0; i < 3; i++) {
      FakeSocket.last().drop(1006)
      expect(call.state()).toBe('joining')
      vi.advanceTimersByTime(1000)
    }
    expect(FakeSocket.all).toHaveLength(4)
    FakeSocket.last().drop(1006)
    expect(call.state()).toBe('left')
    expect(call.endedReason()).toMatch(/could not be reached/)
  })

  it('restarts ICE on both connections when the browser comes back online, without rejoining', async () => {
    const { call, goOffline, goOnline } = setup()
    const socket = await joinCall(call)
    socket.receive({ type: 'publish_answer', sdp: 'v=0 answer' })
    await flush()
    goOffline()
    expect(call.state()).toBe('reconnecting')
    vi.advanceTimersByTime(3000)
    goOnline()
    await flush()
    expect(FakeSocket.all).toHaveLength(1)
    expect(socket.of('ice_restart')).toHaveLength(1)
    expect(publisher().offers.at(-1)).toEqual({ iceRestart: true })
    const offers = socket.of('publish_offer')
    expect(offers).toHaveLength(2)
    expect(offers[1].sdp).toMatch(/ice-restart/)
    expect(call.state()).toBe('connected')
    expect(socket.of('leave')).toEqual([])
  })

  it('restarts ICE when a connection fails, and shows reconnecting until it is back', async () => {
    const { call } = setup()
    const socket = await joinCall(call)
    socket.receive({ type: 'publish_answer', sdp: 'v=0 answer' })
    await flush()
    subscriber().setIce('disconnected')
    expect(call.state()).toBe('reconnecting')
    // a short loss may heal by itself
    vi.advanceTimersByTime(2000)
    expect(socket.of('ice_restart')).toHaveLength(0)
    subscriber().setIce('failed')
    vi.advanceTimersByTime(600)
    await flush()
    expect(socket.of('ice_restart')).toHaveLength(1)
    expect(publisher().offers.at(-1)).toEqual({ iceRestart: true })
    subscriber().setIce('connected')
    expect(call.state()).toBe('connected')
  })

  it('trickles both connections\' candidates, naming the connection', async () => {
    const { call } = setup()
    const socket = await joinCall(call)
    publisher().candidate('candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host')
    subscriber().candidate('candidate:2 1 udp 2122260223 192.0.2.1 50001 typ host')
    subscriber().candidate(null)
    subscriber().candidate('')
    expect(socket.of('ice_candidate')).toEqual([
      { type: 'ice_candidate', peer: 'publisher', candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host' },
      { type: 'ice_candidate', peer: 'subscriber', candidate: 'candidate:2 1 udp 2122260223 192.0.2.1 50001 typ host' }
    ])
  })

  it('tells the SFU how large each received video is shown, 0×0 when it is not', async () => {
    const { call } = setup()
    const socket = await joinCall(call)
    socket.receive({
      type: 'subscribe_offer',
      sdp: fakeOffer([{ mid: '0', kind: 'video' }, { mid: '1', kind: 'video' }]),
      tracks: [
        { mid: '0', track_id: 't-cam', participant_id: 'p2', kind: 'video', source: 'camera' },
        { mid: '1', track_id: 't-screen', participant_id: 'p2', kind: 'video', source: 'screen' }
      ]
    })
    await flush()
    const el = sizedElement(320, 180)
    const stop = call.observeTile(el, 't-cam')
    vi.advanceTimersByTime(299)
    expect(socket.of('viewport')).toEqual([])
    vi.advanceTimersByTime(1)
    expect(socket.of('viewport')).toEqual([{
      type: 'viewport',
      tracks: [{ track_id: 't-cam', width: 320, height: 180 }, { track_id: 't-screen', width: 0, height: 0 }]
    }])
    // resizes are gathered: one frame for several
    el.resize(100, 60)
    FakeResizeObserver.all[0].fire()
    el.resize(80, 45)
    FakeResizeObserver.all[0].fire()
    vi.advanceTimersByTime(300)
    expect(socket.of('viewport')).toHaveLength(2)
    expect(socket.of('viewport')[1].tracks).toContainEqual({ track_id: 't-cam', width: 80, height: 45 })
    // nothing changed: nothing sent
    FakeResizeObserver.all[0].fire()
    vi.advanceTimersByTime(300)
    expect(socket.of('viewport')).toHaveLength(2)
    stop()
    vi.advanceTimersByTime(300)
    expect(socket.of('viewport')[2].tracks).toContainEqual({ track_id: 't-cam', width: 0, height: 0 })
  })

  it('joins viewers without publishing: no camera, no microphone, no publisher connection', async () => {
    const { call, devices } = setup()
    const socket = await joinCall(call, joined({ grants: VIEWER }))
    expect(devices.calls).toEqual([])
    expect(handle().publisher).toBeNull()
    expect(socket.of('publish_offer')).toEqual([])
    await call.setCamera(true)
    expect(devices.calls).toEqual([])
    await call.startScreenShare()
    expect(devices.displayCalls).toEqual([])
    // allowed to publish later: switching the camera on publishes it
    socket.receive({ type: 'grants', grants: { ...VIEWER, publish: true } })
    expect(call.cameraOff('p1') && call.micOff('p1')).toBe(true)
    await call.setCamera(true)
    await flush()
    expect(devices.calls).toHaveLength(1)
    expect(socket.of('publish_offer')[0].tracks).toEqual([{ mid: '0', source: 'camera', muted: false }])
  })

  it('stops publishing when the grant to publish is taken away', async () => {
    const { call, devices } = setup()
    const socket = await joinCall(call)
    socket.receive({ type: 'publish_answer', sdp: 'v=0 answer' })
    await flush()
    socket.receive({ type: 'grants', grants: VIEWER })
    await flush()
    expect(devices.live('audio')).toEqual([])
    expect(devices.live('video')).toEqual([])
    expect(socket.of('publish_offer')[1].tracks).toEqual([])
  })

  it('ends the call when the server says the participant left, with the reason, and does not reconnect', async () => {
    const { call, devices } = setup()
    const socket = await joinCall(call)
    socket.receive({ type: 'left', reason: 'removed' })
    socket.drop(1000)
    expect(call.state()).toBe('left')
    expect(call.endedReason()).toBe('A moderator removed you from the call.')
    expect(devices.live('audio')).toEqual([])
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.all).toHaveLength(1)
    // joining again is possible
    await joinCall(call)
    expect(call.state()).toBe('connected')
    expect(call.endedReason()).toBeNull()
  })

  it('leaves on request: says so, closes the socket, stops the media', async () => {
    const { call, devices } = setup()
    const socket = await joinCall(call)
    const sub = subscriber()
    call.leave()
    expect(socket.of('leave')).toEqual([{ type: 'leave' }])
    expect(socket.closedWith).toBe(1000)
    expect(sub.closed).toBe(true)
    expect(call.state()).toBe('idle')
    expect(devices.live('audio')).toEqual([])
    expect(window.__reynardCall).toBeUndefined()
  })

  it('says it leaves when the page is closed', async () => {
    const { call, pageHide } = setup()
    pageHide()
    const socket = await joinCall(call)
    expect(socket.of('leave')).toEqual([])
    pageHide()
    expect(socket.of('leave')).toEqual([{ type: 'leave' }])
  })

  it('sends moderator commands only with the grant to moderate', async () => {
    const { call } = setup()
    const socket = await joinCall(call, joined({ grants: { ...EDITOR, moderate: true } }))
    expect(call.muteParticipant('p2', 'microphone')).toBe(true)
    expect(call.removeParticipant('p2')).toBe(true)
    expect(call.allowViewersToPublish(true)).toBe(true)
    expect(call.viewersMayPublish()).toBe(true)
    expect(call.endCall()).toBe(true)
    expect(socket.sent.slice(-4)).toEqual([
      { type: 'mute_participant', participant_id: 'p2', source: 'microphone' },
      { type: 'remove_participant', participant_id: 'p2' },
      { type: 'allow_viewers_to_publish', allowed: true },
      { type: 'end_call' }
    ])
    socket.receive({ type: 'grants', grants: EDITOR })
    expect(call.removeParticipant('p2')).toBe(false)
    expect(socket.of('remove_participant')).toHaveLength(1)
  })

  it('checks devices before joining and keeps what it got for the call', async () => {
    const { call, devices } = setup()
    await call.prepare('r1')
    expect(call.state()).toBe('prejoin')
    expect(call.devices().cameras.map((d) => d.deviceId)).toEqual(['cam1'])
    expect(call.devices().microphones.map((d) => d.deviceId)).toEqual(['mic1'])
    expect(call.cameraTrack()).not.toBeNull()
    await call.setSetting('noiseSuppression', false)
    expect(devices.calls.at(-1)?.audio).toMatchObject({ noiseSuppression: false, echoCancellation: true })
    expect(devices.live('audio')).toHaveLength(1)
    await call.setCamera(false)
    await joinCall(call)
    expect(devices.calls).toHaveLength(2)
    expect(socket().of('publish_offer')[0].tracks).toEqual([
      { mid: '0', source: 'microphone', muted: false },
      { mid: '1', source: 'camera', muted: true }
    ])
    function socket () { return FakeSocket.last() }
  })

  it('cancelling the check stops the camera and microphone', async () => {
    const { call, devices } = setup()
    await call.prepare('r1')
    call.cancelPrepare()
    expect(call.state()).toBe('idle')
    expect(devices.live('audio')).toEqual([])
    expect(devices.live('video')).toEqual([])
  })

  it('joins without media when the camera and microphone are refused, and says why', async () => {
    const { call, devices } = setup()
    devices.failWith = 'NotAllowedError'
    const socket = await joinCall(call)
    expect(call.state()).toBe('connected')
    expect(call.mediaError()).toMatch(/denied/)
    expect(socket.of('publish_offer')).toEqual([])
  })

  it('rates each participant\'s network from getStats', async () => {
    const { call } = setup({ statsInterval: 2000 })
    const socket = await joinCall(call)
    socket.receive(bobsOffer())
    await flush()
    const sub = subscriber()
    const inbound = (packetsReceived: number, packetsLost: number) => new Map<string, Record<string, unknown>>([
      ['in-a', { id: 'in-a', type: 'inbound-rtp', kind: 'audio', mid: '0', packetsReceived, packetsLost, jitter: 0.005 }],
      ['in-v', { id: 'in-v', type: 'inbound-rtp', kind: 'video', mid: '1', packetsReceived, packetsLost: 0, jitter: 0.01, framesPerSecond: 24 }]
    ])
    sub.stats = inbound(100, 0)
    publisher().stats = new Map<string, Record<string, unknown>>([
      ['T', { id: 'T', type: 'transport', selectedCandidatePairId: 'CP' }],
      ['CP', { id: 'CP', type: 'candidate-pair', currentRoundTripTime: 0.02, availableOutgoingBitrate: 2_000_000, localCandidateId: 'L' }],
      ['L', { id: 'L', type: 'local-candidate', candidateType: 'host' }]
    ])
    await vi.advanceTimersByTimeAsync(2000)
    expect(call.quality()).toEqual({ p2: 'unknown', p1: 'good' })
    sub.stats = inbound(200, 20)
    await vi.advanceTimersByTimeAsync(2000)
    expect(call.quality().p2).toBe('poor')
    sub.stats = inbound(300, 20)
    await vi.advanceTimersByTimeAsync(2000)
    expect(call.quality().p2).toBe('good')
  })

  it('builds the call socket\'s URL on the page\'s origin, without a token', () => {
    expect(callUrl('r 1', { protocol: 'https:', host: 'r.example.org' } as Location)).toBe('wss://r.example.org/api/v1/rooms/r%201/call')
    expect(callUrl('r1', { protocol: 'http:', host: '127.0.0.1:8080' } as Location)).toBe('ws://127.0.0.1:8080/api/v1/rooms/r1/call')
  })

  it('ignores frames it does not understand', async () => {
    const { call } = setup()
    const socket = await joinCall(call)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    socket.receive('not json')
    socket.receive({ type: 'participant_joined', participant: { name: 'no id' } })
    socket.receive({ type: 'error', code: 'not_allowed', message: 'only moderators can do that' })
    expect(warn).toHaveBeenCalledWith('call socket: not_allowed: only moderators can do that')
    expect(call.notice()).toBe('only moderators can do that')
    expect(call.participants()).toHaveLength(2)
    expect(new FakeTrack('audio').kind).toBe('audio')
  })
})
