import { fireEvent, render, screen } from '@solidjs/testing-library'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Grants } from '../src/callTypes'
import { CallPanel } from '../src/components/CallPanel'
import { createCall, type CallStore } from '../src/stores/call'
import { fakeApi, memoryStorage } from './fakes'
import { FakeMediaDevices, FakePeerConnection, FakeResizeObserver, FakeSocket, FakeStream, fakeOffer, flush } from './rtcFakes'

const MODERATOR: Grants = { join: true, publish: true, subscribe: true, screen: true, moderate: true }
const VIEWER: Grants = { join: true, publish: false, subscribe: true, screen: false, moderate: false }

const bob = (over: Record<string, unknown> = {}) => ({
  id: 'p2',
  user_id: 'u2',
  name: 'Bob',
  tracks: [
    { id: 't-mic', kind: 'audio', source: 'microphone', muted: true, simulcast: false },
    { id: 't-cam', kind: 'video', source: 'camera', muted: false, simulcast: true }
  ],
  moderator: false,
  joined_at: 2,
  ...over
})

describe('the call panel', () => {
  beforeEach(() => {
    FakeSocket.all = []
    FakePeerConnection.all = []
  })
  afterEach(() => { vi.useRealTimers() })

  function show () {
    const agent = fakeApi()
    agent.rtc.iceServers.mockResolvedValue({ iceServers: [], expiresAt: 0 })
    const devices = new FakeMediaDevices()
    let call!: CallStore
    render(() => {
      call = createCall({
        agent,
        WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
        PeerConnection: FakePeerConnection as unknown as typeof RTCPeerConnection,
        MediaStreamImpl: FakeStream as unknown as typeof MediaStream,
        ResizeObserverImpl: FakeResizeObserver as unknown as typeof ResizeObserver,
        media: () => devices as unknown as MediaDevices,
        events: null,
        storage: memoryStorage(),
        statsInterval: 0,
        selfName: () => 'Ada',
        url: (room) => `ws://test/${room}/call`
      })
      return <CallPanel call={call} roomId="r1" roomName="general" />
    })
    return { call: () => call, devices }
  }

  async function joinAs (grants: Grants, participants: unknown[] = [bob()]) {
    fireEvent.click(screen.getByTestId('call-join'))
    const socket = FakeSocket.last()
    expect(socket.url).toBe('ws://test/r1/call')
    socket.open()
    socket.receive({ type: 'joined', participant_id: 'p1', room_id: 'r1', grants, participants, limit: 16 })
    await flush()
    socket.receive({
      type: 'subscribe_offer',
      sdp: fakeOffer([{ mid: '0', kind: 'audio' }, { mid: '1', kind: 'video' }]),
      tracks: [
        { mid: '0', track_id: 't-mic', participant_id: 'p2', kind: 'audio', source: 'microphone' },
        { mid: '1', track_id: 't-cam', participant_id: 'p2', kind: 'video', source: 'camera' }
      ]
    })
    await flush()
    return socket
  }

  const tile = (participant: string, source = 'camera') =>
    document.querySelector(`[data-testid="video-tile"][data-participant-id="${participant}"][data-source="${source}"]`) as HTMLElement | null

  it('offers to join, or to check the camera and microphone first', async () => {
    const { call } = show()
    expect(screen.getByTestId('call').dataset.state).toBe('idle')
    fireEvent.click(screen.getByTestId('call-check'))
    await flush()
    expect(call().state()).toBe('prejoin')
    expect(screen.getByTestId('call-prejoin')).toBeTruthy()
    expect(screen.getByLabelText('Microphone level')).toBeTruthy()
    expect((screen.getByLabelText('Noise suppression') as HTMLInputElement).checked).toBe(true)
    expect(screen.getByTestId('camera-select').textContent).toContain('Camera 1')
    expect(document.querySelector('.call-preview video')).not.toBeNull()
    fireEvent.click(screen.getByTestId('camera-toggle'))
    await flush()
    expect(document.querySelector('.call-preview video')).toBeNull()
    expect(screen.getAllByTestId('call-join')).toHaveLength(1)
  })

  it('shows a tile per person with name, microphone and speaking state, and a roster', async () => {
    show()
    const socket = await joinAs(MODERATOR)
    const tiles = screen.getAllByTestId('video-tile')
    expect(tiles.map((t) => `${t.dataset.participantId}:${t.dataset.source}`)).toEqual(['p1:camera', 'p2:camera'])
    expect(tile('p1')?.dataset.self).toBe('true')
    expect(tile('p2')?.dataset.self).toBeUndefined()
    expect(tile('p2')?.textContent).toContain('Bob')
    expect(tile('p1')?.textContent).toContain('Ada (you)')
    expect(tile('p2')?.querySelector('video')).not.toBeNull()
    expect(tile('p2')?.querySelector('[aria-label="Microphone off"]')).not.toBeNull()
    expect(tile('p2')?.dataset.speaking).toBe('false')
    socket.receive({ type: 'active_speakers', participant_ids: ['p2'] })
    expect(tile('p2')?.dataset.speaking).toBe('true')
    expect(tile('p1')?.dataset.speaking).toBe('false')

    const roster = screen.getAllByTestId('call-participant')
    expect(roster.map((r) => [r.dataset.participantId, r.dataset.muted])).toEqual([['p1', 'false'], ['p2', 'true']])
    expect(screen.getByTestId('call-status').dataset.state).toBe('connected')
    expect(screen.getByTestId('call-size').textContent).toContain('2 in the call')

    // Bob's camera goes off: his initials instead of video
    socket.receive({ type: 'participant_updated', participant: bob({ tracks: [] }) })
    expect(tile('p2')?.querySelector('video')).toBeNull()
    expect(tile('p2')?.textContent).toContain('BO')
  })

  it('lets moderators mute and remove others, allow viewers to publish, and end the call', async () => {
    show()
    const socket = await joinAs(MODERATOR, [bob({ tracks: [{ id: 't-mic', kind: 'audio', source: 'microphone', muted: false, simulcast: false }] })])
    expect(screen.getAllByTestId('moderator-mute')).toHaveLength(1)
    fireEvent.click(screen.getByLabelText('Mute Bob'))
    fireEvent.click(screen.getByLabelText('Remove Bob from the call'))
    fireEvent.click(screen.getByTestId('allow-viewers'))
    fireEvent.click(screen.getByTestId('end-call'))
    expect(socket.of('end_call')).toEqual([])
    fireEvent.click(screen.getByTestId('end-call-confirm'))
    expect(socket.sent.filter((f) => f.type !== 'ice_candidate' && f.type !== 'publish_offer' && f.type !== 'subscribe_answer' && f.type !== 'viewport')).toEqual([
      { type: 'mute_participant', participant_id: 'p2', source: 'microphone' },
      { type: 'remove_participant', participant_id: 'p2' },
      { type: 'allow_viewers_to_publish', allowed: true },
      { type: 'end_call' }
    ])
  })

  it('gives viewers no publishing controls and no moderation', async () => {
    show()
    await joinAs(VIEWER)
    expect(screen.queryByTestId('mute-toggle')).toBeNull()
    expect(screen.queryByTestId('camera-toggle')).toBeNull()
    expect(screen.queryByTestId('screen-share')).toBeNull()
    expect(screen.queryByTestId('moderator-mute')).toBeNull()
    expect(screen.queryByTestId('end-call')).toBeNull()
    expect(screen.getByTestId('call-leave')).toBeTruthy()
  })

  it('shows a pinned tile or a screen share large', async () => {
    const { call } = show()
    const socket = await joinAs(MODERATOR)
    expect(document.querySelector('.call-featured')).toBeNull()
    fireEvent.click(tile('p2')!.querySelector('[data-testid="pin-tile"]')!)
    expect(document.querySelector('.call-featured [data-testid="video-tile"]')?.getAttribute('data-participant-id')).toBe('p2')
    fireEvent.click(tile('p2')!.querySelector('[data-testid="pin-tile"]')!)
    expect(call().pinned()).toBeNull()
    socket.receive({
      type: 'participant_updated',
      participant: bob({ tracks: [...bob().tracks, { id: 't-screen', kind: 'video', source: 'screen', muted: false, simulcast: false }] })
    })
    const featured = document.querySelector('.call-featured [data-testid="video-tile"]') as HTMLElement
    expect([featured.dataset.participantId, featured.dataset.source]).toEqual(['p2', 'screen'])
  })

  it('toggles the microphone and camera, and leaves', async () => {
    const { call, devices } = show()
    const socket = await joinAs(MODERATOR)
    fireEvent.click(screen.getByTestId('mute-toggle'))
    await flush()
    expect(screen.getByTestId('mute-toggle').dataset.state).toBe('off')
    expect(devices.live('audio')[0].enabled).toBe(false)
    fireEvent.click(screen.getByTestId('camera-toggle'))
    await flush()
    expect(socket.of('mute')).toEqual([
      { type: 'mute', source: 'microphone', muted: true },
      { type: 'mute', source: 'camera', muted: true }
    ])
    fireEvent.click(screen.getByTestId('call-leave'))
    expect(call().state()).toBe('idle')
    expect(screen.getByTestId('call-join')).toBeTruthy()
  })

  it('says why the call ended', async () => {
    show()
    const socket = await joinAs(MODERATOR)
    socket.receive({ type: 'left', reason: 'call_ended' })
    expect(screen.getByTestId('call-ended').textContent).toBe('The call was ended for everyone.')
    expect(screen.getByTestId('call-join')).toBeTruthy()
  })
})
