// Network quality of a call as plain functions over `getStats()` reports:
// what a received stream's loss, jitter and frame rate say (`scoreInbound`),
// what this browser's own connection's round-trip time and outgoing bandwidth
// say (`scoreConnection`), and the worst of several (`worstQuality`). Shown as
// three bars: good 3, fair 2, poor 1.

export type Quality = 'good' | 'fair' | 'poor' | 'unknown'

/** The counters of one `inbound-rtp` report that quality is judged from. */
export interface InboundSample {
  /** The report id (stable for a stream while its connection lives). */
  id: string
  kind: 'audio' | 'video'
  mid?: string
  trackIdentifier?: string
  packetsReceived: number
  packetsLost: number
  /** Seconds. */
  jitter: number
  bytesReceived: number
  framesDecoded?: number
  framesPerSecond?: number
  frameWidth?: number
}

/** The selected candidate pair of a connection. */
export interface PairSample {
  /** Seconds. */
  rtt?: number
  /** Bits per second. */
  availableOutgoingBitrate?: number
  localCandidateType?: string
}

type Stats = Record<string, unknown>
type Report = { forEach: (cb: (value: Stats, key: string) => void) => void, get?: (id: string) => Stats | undefined }

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** The `inbound-rtp` reports of a stats report. */
export function inboundSamples (report: Report): InboundSample[] {
  const out: InboundSample[] = []
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return
    const kind = s.kind === 'video' || s.mediaType === 'video' ? 'video' : 'audio'
    out.push({
      id: str(s.id) ?? '',
      kind,
      mid: str(s.mid),
      trackIdentifier: str(s.trackIdentifier),
      packetsReceived: num(s.packetsReceived) ?? 0,
      packetsLost: Math.max(0, num(s.packetsLost) ?? 0),
      jitter: num(s.jitter) ?? 0,
      bytesReceived: num(s.bytesReceived) ?? 0,
      framesDecoded: num(s.framesDecoded),
      framesPerSecond: num(s.framesPerSecond),
      frameWidth: num(s.frameWidth)
    })
  })
  return out
}

/** The selected candidate pair's RTT and outgoing bandwidth, or null when there is none yet. */
export function selectedPair (report: Report): PairSample | null {
  const all = new Map<string, Stats>()
  report.forEach((s, key) => all.set(str(s.id) ?? key, s))
  let pair: Stats | undefined
  for (const s of all.values()) {
    if (s.type === 'transport' && str(s.selectedCandidatePairId)) {
      pair = all.get(s.selectedCandidatePairId as string)
      if (pair) break
    }
  }
  if (!pair) {
    for (const s of all.values()) {
      if (s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded') { pair = s; break }
    }
  }
  if (!pair) return null
  const local = str(pair.localCandidateId) ? all.get(pair.localCandidateId as string) : undefined
  return {
    rtt: num(pair.currentRoundTripTime),
    availableOutgoingBitrate: num(pair.availableOutgoingBitrate),
    localCandidateType: str(local?.candidateType)
  }
}

/**
 * How well a stream arrives between two samples: loss over the interval, the
 * current jitter and (video) frame rate. A stream that received nothing in the
 * interval (muted, or paused by the server) says nothing: unknown.
 */
export function scoreInbound (prev: InboundSample | undefined, cur: InboundSample): Quality {
  if (!prev) return 'unknown'
  const received = cur.packetsReceived - prev.packetsReceived
  const lost = Math.max(0, cur.packetsLost - prev.packetsLost)
  if (received <= 0) return 'unknown'
  const loss = lost / (received + lost)
  const jitter = cur.jitter
  const fps = cur.kind === 'video' ? cur.framesPerSecond : undefined
  if (loss <= 0.02 && jitter <= 0.03 && (fps === undefined || fps >= 15)) return 'good'
  if (loss <= 0.08 && jitter <= 0.1 && (fps === undefined || fps >= 8)) return 'fair'
  return 'poor'
}

/** How well this browser's own connection does: round-trip time and outgoing bandwidth. */
export function scoreConnection (pair: PairSample | null): Quality {
  if (!pair || pair.rtt === undefined) return 'unknown'
  const bitrate = pair.availableOutgoingBitrate
  if (pair.rtt <= 0.15 && (bitrate === undefined || bitrate >= 600_000)) return 'good'
  if (pair.rtt <= 0.4 && (bitrate === undefined || bitrate >= 200_000)) return 'fair'
  return 'poor'
}

const RANK: Record<Quality, number> = { unknown: 0, good: 1, fair: 2, poor: 3 }

/** The worst known quality of several (unknown only when none is known). */
export function worstQuality (qualities: Iterable<Quality>): Quality {
  let worst: Quality = 'unknown'
  for (const q of qualities) if (RANK[q] > RANK[worst]) worst = q
  return worst
}

/** Bars lit: good 3, fair 2, poor 1, unknown 0. */
export function qualityBars (q: Quality): number {
  return q === 'good' ? 3 : q === 'fair' ? 2 : q === 'poor' ? 1 : 0
}

/**
 * Quality per remote participant from two rounds of inbound samples: each
 * participant gets the worst of its streams (`ownerOf` maps a sample to its
 * participant, null for streams of nobody known).
 */
export function inboundQualities (
  prev: ReadonlyMap<string, InboundSample>,
  samples: readonly InboundSample[],
  ownerOf: (s: InboundSample) => string | null
): Map<string, Quality> {
  const byOwner = new Map<string, Quality[]>()
  for (const s of samples) {
    const owner = ownerOf(s)
    if (!owner) continue
    const list = byOwner.get(owner) ?? []
    list.push(scoreInbound(prev.get(s.id), s))
    byOwner.set(owner, list)
  }
  return new Map([...byOwner].map(([owner, qs]) => [owner, worstQuality(qs)]))
}
