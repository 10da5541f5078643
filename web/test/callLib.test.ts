import { describe, expect, it } from 'vitest'
import type { ParticipantView } from '../src/callTypes'
import { callCloseWords, leaveWords, parseCallEvent, withParticipant, withoutParticipant } from '../src/lib/callFrames'
import { callTiles, gridColumns, layoutTiles, viewportsFor } from '../src/lib/callLayout'
import { rmsLevel } from '../src/lib/micLevel'
import { withReceiveLimit } from '../src/lib/sdp'
import {
  inboundQualities,
  inboundSamples,
  qualityBars,
  scoreConnection,
  scoreInbound,
  selectedPair,
  worstQuality,
  type InboundSample
} from '../src/lib/netQuality'

const p = (id: string, joinedAt: number, over: Partial<ParticipantView> = {}): ParticipantView =>
  ({ id, user_id: `u-${id}`, name: id.toUpperCase(), tracks: [], moderator: false, joined_at: joinedAt, ...over })
const screenTrack = { id: 'ts', kind: 'video' as const, source: 'screen' as const, muted: false, simulcast: false }

describe('call tiles', () => {
  const self = p('me', 3)
  const ann = p('ann', 1)
  const ben = p('ben', 2, { tracks: [screenTrack] })

  it('are one camera tile each, yourself first, then by join time, screen shares before cameras', () => {
    const tiles = callTiles([ben, self, ann], 'me', false)
    expect(tiles.map((t) => t.key)).toEqual(['ben:screen', 'me:camera', 'ann:camera', 'ben:camera'])
    expect(tiles.filter((t) => t.self).map((t) => t.key)).toEqual(['me:camera'])
    expect(callTiles([self, ann], 'me', true).map((t) => t.key)).toEqual(['me:screen', 'me:camera', 'ann:camera'])
  })

  it('show someone else\'s screen share large, for everyone, automatically', () => {
    const layout = layoutTiles(callTiles([self, ann, ben], 'me', false), null)
    expect(layout.featured?.key).toBe('ben:screen')
    expect(layout.grid.map((t) => t.key)).toEqual(['me:camera', 'ann:camera', 'ben:camera'])
  })

  it('show the pinned tile large instead, and fall back when it is gone', () => {
    const tiles = callTiles([self, ann, ben], 'me', false)
    const pinned = layoutTiles(tiles, 'ann:camera')
    expect(pinned.featured?.key).toBe('ann:camera')
    expect(pinned.grid.map((t) => t.key)).toEqual(['ben:screen', 'me:camera', 'ben:camera'])
    expect(layoutTiles(tiles, 'gone:camera').featured?.key).toBe('ben:screen')
  })

  it('never feature your own screen share unasked, and use an even grid without anything to feature', () => {
    const tiles = callTiles([self, ann], 'me', true)
    expect(layoutTiles(tiles, null).featured).toBeNull()
    expect(layoutTiles(tiles, 'me:screen').featured?.key).toBe('me:screen')
    expect([1, 2, 3, 4, 5, 9, 10].map(gridColumns)).toEqual([1, 2, 2, 2, 3, 3, 4])
  })

  it('give the SFU every received video\'s largest size, 0×0 when not shown', () => {
    expect(viewportsFor(['t2', 't1', 't3', 't1'], [
      { trackId: 't1', width: 320, height: 180 },
      { trackId: 't1', width: 1280.4, height: 720 },
      { trackId: 't2', width: 0, height: 0 },
      { trackId: 'gone', width: 640, height: 360 }
    ])).toEqual([
      { track_id: 't1', width: 1280, height: 720 },
      { track_id: 't2', width: 0, height: 0 },
      { track_id: 't3', width: 0, height: 0 }
    ])
  })
})

describe('network quality', () => {
  const sample = (over: Partial<InboundSample>): InboundSample =>
    ({ id: 'a', kind: 'audio', packetsReceived: 0, packetsLost: 0, jitter: 0.005, bytesReceived: 0, ...over })

  it('scores received streams by loss over the interval, jitter and frame rate', () => {
    const before = sample({ packetsReceived: 1000, packetsLost: 10 })
    expect(scoreInbound(undefined, before)).toBe('unknown')
    expect(scoreInbound(before, sample({ packetsReceived: 1100, packetsLost: 11 }))).toBe('good')
    expect(scoreInbound(before, sample({ packetsReceived: 1100, packetsLost: 15 }))).toBe('fair')
    expect(scoreInbound(before, sample({ packetsReceived: 1100, packetsLost: 30 }))).toBe('poor')
    expect(scoreInbound(before, sample({ packetsReceived: 1100, jitter: 0.05, packetsLost: 10 }))).toBe('fair')
    expect(scoreInbound(before, sample({ packetsReceived: 1100, jitter: 0.2, packetsLost: 10 }))).toBe('poor')
    // paused or muted: nothing to judge
    expect(scoreInbound(before, sample({ packetsReceived: 1000, packetsLost: 10 }))).toBe('unknown')
    const video = (fps: number) => sample({ kind: 'video', packetsReceived: 1100, packetsLost: 10, framesPerSecond: fps })
    expect(scoreInbound(before, video(24))).toBe('good')
    expect(scoreInbound(before, video(10))).toBe('fair')
    expect(scoreInbound(before, video(4))).toBe('poor')
  })

  it('scores the own connection by round-trip time and outgoing bandwidth', () => {
    expect(scoreConnection(null)).toBe('unknown')
    expect(scoreConnection({ rtt: 0.03, availableOutgoingBitrate: 3_000_000 })).toBe('good')
    expect(scoreConnection({ rtt: 0.03 })).toBe('good')
    expect(scoreConnection({ rtt: 0.25, availableOutgoingBitrate: 3_000_000 })).toBe('fair')
    expect(scoreConnection({ rtt: 0.03, availableOutgoingBitrate: 300_000 })).toBe('fair')
    expect(scoreConnection({ rtt: 0.6, availableOutgoingBitrate: 3_000_000 })).toBe('poor')
    expect(scoreConnection({ rtt: 0.03, availableOutgoingBitrate: 100_000 })).toBe('poor')
  })

  it('takes the worst known quality, and shows it as bars', () => {
    expect(worstQuality([])).toBe('unknown')
    expect(worstQuality(['unknown', 'good'])).toBe('good')
    expect(worstQuality(['good', 'poor', 'fair'])).toBe('poor')
    expect(['good', 'fair', 'poor', 'unknown'].map((q) => qualityBars(q as 'good'))).toEqual([3, 2, 1, 0])
  })

  it('reads inbound streams and the selected candidate pair out of getStats', () => {
    const report = new Map<string, Record<string, unknown>>([
      ['IV', { id: 'IV', type: 'inbound-rtp', kind: 'video', mid: '1', packetsReceived: 50, packetsLost: -1, jitter: 0.01, bytesReceived: 9000, framesDecoded: 30, frameWidth: 640 }],
      ['IA', { id: 'IA', type: 'inbound-rtp', kind: 'audio', trackIdentifier: 'trk', packetsReceived: 40, packetsLost: 2, jitter: 0.002, bytesReceived: 3000 }],
      ['T', { id: 'T', type: 'transport', selectedCandidatePairId: 'CP2' }],
      ['CP1', { id: 'CP1', type: 'candidate-pair', currentRoundTripTime: 0.9, localCandidateId: 'L1' }],
      ['CP2', { id: 'CP2', type: 'candidate-pair', currentRoundTripTime: 0.01, availableOutgoingBitrate: 1e6, localCandidateId: 'L2' }],
      ['L2', { id: 'L2', type: 'local-candidate', candidateType: 'relay' }]
    ])
    const samples = inboundSamples(report)
    expect(samples.map((s) => [s.id, s.kind, s.mid, s.trackIdentifier, s.packetsLost, s.frameWidth])).toEqual([
      ['IV', 'video', '1', undefined, 0, 640],
      ['IA', 'audio', undefined, 'trk', 2, undefined]
    ])
    expect(selectedPair(report)).toEqual({ rtt: 0.01, availableOutgoingBitrate: 1e6, localCandidateType: 'relay' })
    const nominated = new Map<string, Record<string, unknown>>([
      ['CP', { id: 'CP', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.2 }]
    ])
    expect(selectedPair(nominated)?.rtt).toBe(0.2)
    expect(selectedPair(new Map())).toBeNull()
  })

  it('gives each participant the worst of its streams', () => {
    const prev = new Map([
      ['a1', sample({ id: 'a1', packetsReceived: 100 })],
      ['v1', sample({ id: 'v1', kind: 'video', packetsReceived: 100 })],
      ['a2', sample({ id: 'a2', packetsReceived: 100 })]
    ])
    const now = [
      sample({ id: 'a1', packetsReceived: 200 }),
      sample({ id: 'v1', kind: 'video', packetsReceived: 200, packetsLost: 20, framesPerSecond: 24 }),
      sample({ id: 'a2', packetsReceived: 200 }),
      sample({ id: 'x', packetsReceived: 200 })
    ]
    const owner: Record<string, string> = { a1: 'ann', v1: 'ann', a2: 'ben' }
    expect(Object.fromEntries(inboundQualities(prev, now, (s) => owner[s.id] ?? null))).toEqual({ ann: 'poor', ben: 'good' })
  })
})

describe('call frames', () => {
  it('are checked for the fields the client reads', () => {
    expect(parseCallEvent('{')).toBeNull()
    expect(parseCallEvent(JSON.stringify({ type: 'nope' }))).toBeNull()
    expect(parseCallEvent(JSON.stringify({ type: 'joined', grants: {} }))).toBeNull()
    expect(parseCallEvent(JSON.stringify({
      type: 'joined',
      participant_id: 'p1',
      room_id: 'r1',
      grants: { join: true, publish: true, subscribe: true, screen: false, moderate: 'yes' },
      participants: [{ id: 'p2', user_id: 'u2', name: '', tracks: [{ id: 't', kind: 'video', source: 'camera', muted: true, simulcast: true }, { id: 'x', source: 'hologram' }], moderator: true, joined_at: 5 }, { nope: 1 }],
      limit: 16
    }))).toEqual({
      type: 'joined',
      participant_id: 'p1',
      room_id: 'r1',
      grants: { join: true, publish: true, subscribe: true, screen: false, moderate: false },
      participants: [{ id: 'p2', user_id: 'u2', name: 'u2', tracks: [{ id: 't', kind: 'video', source: 'camera', muted: true, simulcast: true }], moderator: true, joined_at: 5 }],
      limit: 16
    })
    expect(parseCallEvent(JSON.stringify({
      type: 'subscribe_offer',
      sdp: 'v=0',
      tracks: [{ mid: '0', track_id: 't', participant_id: 'p', source: 'screen_audio' }, { mid: 1 }]
    }))).toEqual({
      type: 'subscribe_offer',
      sdp: 'v=0',
      tracks: [{ mid: '0', track_id: 't', participant_id: 'p', kind: 'audio', source: 'screen_audio' }]
    })
    expect(parseCallEvent(JSON.stringify({ type: 'layer_changed', track_id: 't', layer: 'ultra' }))).toBeNull()
    expect(parseCallEvent(JSON.stringify({ type: 'muted_by_moderator', source: 'microphone' }))).toEqual({ type: 'muted_by_moderator', source: 'microphone' })
    expect(parseCallEvent(JSON.stringify({ type: 'left', reason: 'call_ended' }))).toEqual({ type: 'left', reason: 'call_ended' })
    expect(parseCallEvent(JSON.stringify({ type: 'participant_left', participant_id: 'p2', reason: 'removed' })))
      .toEqual({ type: 'participant_left', participant_id: 'p2', reason: 'removed' })
  })

  it('say why a call was refused or ended', () => {
    expect(callCloseWords(1008, 'call_full: 16 of 16')).toBe('The call is full (16 of 16).')
    expect(callCloseWords(1008, 'not_allowed: viewers cannot join')).toBe('You may not join this call (viewers cannot join).')
    expect(callCloseWords(1008, 'call_full')).toBe('The call is full.')
    expect(callCloseWords(1008, '')).toBe('You may not join this call.')
    expect(callCloseWords(1008, 'session expired')).toBe('The call ended: session expired.')
    expect(callCloseWords(1008, 'rate limit exceeded')).toBeNull()
    expect(callCloseWords(1006, '')).toBeNull()
    expect(callCloseWords(1011, 'call_full: x')).toBeNull()
    expect(leaveWords('call_ended')).toBe('The call was ended for everyone.')
    expect(leaveWords('removed')).toMatch(/moderator removed you/)
  })

  it('keep the roster in join order', () => {
    const roster = withParticipant(withParticipant([], p('b', 2)), p('a', 1))
    expect(roster.map((x) => x.id)).toEqual(['a', 'b'])
    expect(withParticipant(roster, p('b', 2, { name: 'Bee' })).map((x) => x.name)).toEqual(['A', 'Bee'])
    expect(withoutParticipant(roster, 'a').map((x) => x.id)).toEqual(['b'])
  })
})

describe('the microphone meter', () => {
  it('is 0 for silence and grows with the amplitude', () => {
    expect(rmsLevel(new Uint8Array(0))).toBe(0)
    expect(rmsLevel(new Uint8Array(256).fill(128))).toBe(0)
    const quiet = rmsLevel(Uint8Array.from({ length: 256 }, (_, i) => (i % 2 ? 133 : 123)))
    const loud = rmsLevel(Uint8Array.from({ length: 256 }, (_, i) => (i % 2 ? 180 : 76)))
    expect(quiet).toBeGreaterThan(0)
    expect(loud).toBeGreaterThan(quiet)
    expect(rmsLevel(Uint8Array.from({ length: 256 }, (_, i) => (i % 2 ? 255 : 0)))).toBe(1)
  })
})

describe('receive limits in answers', () => {
  const answer = [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'b=AS:2000', 'a=mid:1',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:2',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:3', ''
  ].join('\r\n')

  it('declares the limit in every video section only, replacing what was there', () => {
    const limited = withReceiveLimit(answer, 200)
    const sections = limited.split('m=').slice(1)
    expect(sections[0]).not.toContain('b=AS')
    expect(sections[1]).toContain('c=IN IP4 0.0.0.0\r\nb=AS:200\r\n')
    expect(sections[1]).not.toContain('b=AS:2000')
    expect(sections[2]).not.toContain('b=AS')
    expect(sections[3]).toContain('b=AS:200')
    expect(limited.endsWith('\r\n')).toBe(true)
  })
})
