// The level of a microphone for the pre-join meter: `rmsLevel` turns a frame
// of WebAudio time-domain bytes into 0..1; `createMicLevel` runs an
// AnalyserNode on a track and samples it every animation frame while the
// owner lives (nothing where WebAudio is missing).

import { createEffect, createSignal, on, onCleanup, type Accessor } from 'solid-js'

/**
 * 0..1 from `AnalyserNode.getByteTimeDomainData` bytes (silence is 128):
 * the RMS amplitude, scaled so that speech at a normal distance fills most of
 * the meter (×3, capped at 1).
 */
export function rmsLevel (bytes: ArrayLike<number>): number {
  if (bytes.length === 0) return 0
  let sum = 0
  for (let i = 0; i < bytes.length; i++) {
    const v = (bytes[i] - 128) / 128
    sum += v * v
  }
  return Math.min(1, Math.sqrt(sum / bytes.length) * 3)
}

type AudioContextCtor = new () => AudioContext

/** The live level (0..1) of `track`, or 0 while there is none or it is disabled. */
export function createMicLevel (track: Accessor<MediaStreamTrack | null>, enabled: Accessor<boolean> = () => true): Accessor<number> {
  const [level, setLevel] = createSignal(0)
  const Ctx = (globalThis as { AudioContext?: AudioContextCtor }).AudioContext
  const Stream = (globalThis as { MediaStream?: typeof MediaStream }).MediaStream
  createEffect(on([track, enabled], ([t, on]) => {
    setLevel(0)
    if (!t || !on || !Ctx || !Stream || typeof requestAnimationFrame === 'undefined') return
    let ctx: AudioContext
    try {
      ctx = new Ctx()
    } catch {
      return
    }
    const source = ctx.createMediaStreamSource(new Stream([t]))
    const analyser = ctx.createAnalyser()
    analyser.fftSize = 512
    source.connect(analyser)
    const bytes = new Uint8Array(analyser.fftSize)
    let frame = 0
    const tick = () => {
      analyser.getByteTimeDomainData(bytes)
      setLevel(rmsLevel(bytes))
      frame = requestAnimationFrame(tick)
    }
    frame = requestAnimationFrame(tick)
    onCleanup(() => {
      cancelAnimationFrame(frame)
      source.disconnect()
      void ctx.close().catch(() => {})
    })
  }))
  return level
}
