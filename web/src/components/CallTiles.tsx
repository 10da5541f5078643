// A call's tiles: `VideoTile` (someone's camera or screen, or their initials
// while the camera is off; name, microphone, network bars, active-speaker
// ring, pin), `TileGrid` (the featured tile large, the rest in an even grid),
// `NetworkBars`, and `CallAudio` (hidden audio elements playing everything
// received, wherever the person is in the workspace). A remote video reports
// the size it is shown at to the store, which tells the SFU (`viewport`).

import { For, Show, createEffect, createMemo, on, onCleanup, onMount } from 'solid-js'
import { isOff } from '../lib/callFrames'
import { callTiles, gridColumns, layoutTiles, type Tile } from '../lib/callLayout'
import { colorFor, initials } from '../lib/colors'
import { qualityBars, type Quality } from '../lib/netQuality'
import type { CallStore } from '../stores/call'
import { MicOffIcon, PinIcon } from './Icons'

/**
 * A `<video>` showing a stream (muted: sound comes from `CallAudio`). With
 * `observe`, it reports the size it shows `trackId` at while it is mounted.
 */
export function MediaVideo (props: {
  stream: MediaStream | null
  mirror?: boolean
  label: string
  trackId?: string | null
  observe?: (el: Element, trackId: string) => () => void
}) {
  let el!: HTMLVideoElement
  onMount(() => {
    // The property, not only the attribute: autoplay of a muted video needs no gesture.
    el.muted = true
  })
  createEffect(() => {
    const stream = props.stream
    if (el.srcObject !== stream) el.srcObject = stream
  })
  createEffect(on(() => props.trackId, (trackId) => {
    const observe = props.observe
    if (trackId && observe) onCleanup(observe(el, trackId))
  }))
  return (
    <video ref={el} class="call-video" classList={{ mirror: !!props.mirror }} autoplay playsinline muted
      aria-label={props.label} />
  )
}

/** Network quality as three bars (good 3, fair 2, poor 1). */
export function NetworkBars (props: { quality: Quality }) {
  const bars = () => qualityBars(props.quality)
  const label = () => (props.quality === 'unknown' ? 'Network quality not known yet' : `Network quality: ${props.quality}`)
  return (
    <span class={`net-bars net-${props.quality}`} role="img" aria-label={label()} title={label()}
      data-testid="network-quality" data-quality={props.quality}>
      <i classList={{ on: bars() >= 1 }} />
      <i classList={{ on: bars() >= 2 }} />
      <i classList={{ on: bars() >= 3 }} />
    </span>
  )
}

export function VideoTile (props: { call: CallStore, tile: Tile, featured?: boolean, compact?: boolean }) {
  const call = props.call
  const id = () => props.tile.participantId
  const source = () => props.tile.source
  const participant = createMemo(() => call.participants().find((p) => p.id === id()))
  const name = () => participant()?.name ?? '…'
  const stream = () => call.streamOf(id(), source())
  const showVideo = () => !!stream() && (source() === 'screen' || !call.cameraOff(id()))
  const trackId = () => call.videoTrackIdOf(id(), source())
  const speaking = () => source() === 'camera' && call.activeSpeakers().has(id())
  const micOff = () => (props.tile.self ? call.micOff(id()) : isOff(participant(), 'microphone'))
  const pinned = () => call.pinned() === props.tile.key
  const layer = () => {
    const t = trackId()
    return t ? call.layers()[t] : undefined
  }
  const title = () => `${name()}${props.tile.self ? ' (you)' : ''}${source() === 'screen' ? ' — screen' : ''}`

  return (
    <figure
      class="call-tile"
      classList={{ featured: !!props.featured, compact: !!props.compact, speaking: speaking(), self: props.tile.self, screen: source() === 'screen' }}
      data-testid="video-tile"
      data-participant-id={id()}
      data-source={source()}
      data-speaking={speaking() ? 'true' : 'false'}
      data-self={props.tile.self ? 'true' : undefined}
      data-layer={layer()}
    >
      <Show when={showVideo()} fallback={
        <div class="call-avatar">
          <span class="avatar" style={{ 'background-color': colorFor(participant()?.user_id || id()) }} aria-hidden="true">{initials(name())}</span>
          <span class="sr-only">{source() === 'camera' ? 'Camera off' : 'Screen share starting'}</span>
        </div>
      }>
        <MediaVideo stream={stream()} mirror={props.tile.self && source() === 'camera'} label={title()}
          trackId={trackId()} observe={call.observeTile} />
      </Show>
      <figcaption class="call-caption">
        <span class="call-name">{title()}</span>
        <Show when={source() === 'camera' && micOff()}>
          <span class="call-muted" role="img" aria-label="Microphone off" title="Microphone off"><MicOffIcon /></span>
        </Show>
        <Show when={source() === 'camera'}>
          <NetworkBars quality={call.quality()[id()] ?? 'unknown'} />
        </Show>
      </figcaption>
      <Show when={!props.compact}>
        <button type="button" class="icon call-pin" aria-pressed={pinned()} data-testid="pin-tile"
          aria-label={pinned() ? `Unpin ${title()}` : `Pin ${title()}`} title={pinned() ? 'Unpin' : 'Pin: show large'}
          onClick={() => call.pin(pinned() ? null : props.tile.key)}>
          <PinIcon />
        </button>
      </Show>
    </figure>
  )
}

/** The call's tiles: the featured one large above an even grid of the rest (or one small row when compact). */
export function TileGrid (props: { call: CallStore, compact?: boolean }) {
  const tiles = createMemo(() => callTiles(props.call.participants(), props.call.selfId(), props.call.sharing()))
  const byKey = createMemo(() => new Map(tiles().map((t) => [t.key, t])))
  const layout = createMemo(() => layoutTiles(tiles(), props.compact ? null : props.call.pinned()))
  // Keys, not tile objects: a tile keeps its <video> while the roster changes around it.
  const featuredKey = () => layout().featured?.key
  const gridKeys = createMemo(() => layout().grid.map((t) => t.key), undefined, {
    equals: (a, b) => a.length === b.length && a.every((k, i) => k === b[i])
  })
  return (
    <div class="call-tiles" classList={{ compact: !!props.compact, 'has-featured': !!featuredKey() }}>
      <Show when={featuredKey()} keyed>
        {(key) => (
          <Show when={byKey().get(key)}>
            {(tile) => <div class="call-featured"><VideoTile call={props.call} tile={tile()} featured /></div>}
          </Show>
        )}
      </Show>
      <div class="call-grid" style={{ '--cols': String(props.compact ? gridKeys().length : gridColumns(gridKeys().length)) }}>
        <For each={gridKeys()}>
          {(key) => (
            <Show when={byKey().get(key)}>
              {(tile) => <VideoTile call={props.call} tile={tile()} compact={props.compact} />}
            </Show>
          )}
        </For>
      </div>
    </div>
  )
}

/** Plays every received audio track (hidden; mounted once per workspace so sound follows the person around). */
export function CallAudio (props: { call: CallStore }) {
  return (
    <div class="call-audio" hidden>
      <For each={props.call.remoteAudio()}>
        {(r) => <AudioSink stream={props.call.streamFor(r.track)} participantId={r.participant_id} source={r.source} />}
      </For>
    </div>
  )
}

function AudioSink (props: { stream: MediaStream | null, participantId: string, source: string }) {
  let el!: HTMLAudioElement
  createEffect(() => {
    const stream = props.stream
    if (el.srcObject !== stream) el.srcObject = stream
  })
  return <audio ref={el} autoplay data-participant-id={props.participantId} data-source={props.source} />
}
