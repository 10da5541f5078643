// A room's call on the room page: Join (or first the pre-join check: camera
// preview, device pickers, microphone meter, audio processing), then the
// tiles, the controls (microphone, camera, screen share, leave), the roster
// with each participant's microphone and network, and for moderators mute,
// remove, "allow viewers to publish" and "end call for everyone". Why a call
// ended or was refused stays shown until the next join.

import { For, Match, Show, Switch, createMemo, createSignal } from 'solid-js'
import { isOff } from '../lib/callFrames'
import { colorFor, initials } from '../lib/colors'
import { createMicLevel } from '../lib/micLevel'
import type { CallState, CallStore } from '../stores/call'
import { ErrorText } from './Feedback'
import { CameraIcon, CameraOffIcon, LeaveIcon, MicIcon, MicOffIcon, ScreenIcon } from './Icons'
import { MediaVideo, NetworkBars, TileGrid } from './CallTiles'

export function callStateText (state: CallState): string {
  switch (state) {
    case 'idle': return 'Not in the call'
    case 'prejoin': return 'Checking camera and microphone'
    case 'joining': return 'Joining…'
    case 'connected': return 'In the call'
    case 'reconnecting': return 'Reconnecting…'
    case 'left': return 'Left the call'
  }
}

export function CallStatus (props: { state: CallState }) {
  const tone = () => (props.state === 'connected' ? 'connected' : props.state === 'joining' || props.state === 'reconnecting' ? 'reconnecting' : 'closed')
  return (
    <span class={`connection connection-${tone()}`} role="status" aria-live="polite" data-testid="call-status" data-state={props.state}>
      <span class="dot" aria-hidden="true" />
      <span>{callStateText(props.state)}</span>
    </span>
  )
}

/** Microphone and camera on/off (in the call and in the pre-join check). */
export function MediaToggles (props: { call: CallStore, compact?: boolean }) {
  const call = props.call
  const self = () => call.selfId() ?? ''
  const micOff = () => (call.state() === 'prejoin' ? !call.micOn() || !call.micTrack() : call.micOff(self()))
  const cameraOff = () => (call.state() === 'prejoin' ? !call.cameraOn() || !call.cameraTrack() : call.cameraOff(self()))
  return (
    <>
      <button type="button" class="secondary small call-button" classList={{ off: micOff() }} data-testid="mute-toggle"
        data-state={micOff() ? 'off' : 'on'} title={micOff() ? 'Unmute the microphone' : 'Mute the microphone'}
        onClick={() => { void call.setMic(micOff()) }}>
        {micOff() ? <MicOffIcon /> : <MicIcon />}
        <span classList={{ 'sr-only': !!props.compact }}>{micOff() ? 'Unmute' : 'Mute'}</span>
      </button>
      <button type="button" class="secondary small call-button" classList={{ off: cameraOff() }} data-testid="camera-toggle"
        data-state={cameraOff() ? 'off' : 'on'} title={cameraOff() ? 'Start the camera' : 'Stop the camera'}
        onClick={() => { void call.setCamera(cameraOff()) }}>
        {cameraOff() ? <CameraOffIcon /> : <CameraIcon />}
        <span classList={{ 'sr-only': !!props.compact }}>{cameraOff() ? 'Start camera' : 'Stop camera'}</span>
      </button>
    </>
  )
}

export function CallPanel (props: { call: CallStore, roomId: string, roomName: string, relay?: boolean, disabled?: boolean }) {
  const call = props.call
  const here = () => call.roomId() === props.roomId
  const state = (): CallState => (here() ? call.state() : 'idle')
  const elsewhere = () => call.active() && !here()
  const join = () => call.join(props.roomId, { relay: props.relay })

  return (
    <section class="call" classList={{ 'call-on': call.active() && here() }} data-testid="call" data-state={state()}
      aria-label={`Call in #${props.roomName}`}>
      <Switch>
        <Match when={elsewhere()}>
          <div class="call-idle">
            <p class="muted small-text">You are in a call in another room.</p>
            <button type="button" class="small" data-testid="call-join" onClick={join}>Leave it and join here</button>
          </div>
        </Match>
        <Match when={state() === 'prejoin'}>
          <PreJoin call={call} onJoin={join} />
        </Match>
        <Match when={call.active() && here()}>
          <CallStage call={call} />
        </Match>
        <Match when={true}>
          <div class="call-idle">
            <Show when={state() === 'left' && call.endedReason()}>
              <p class="call-ended" role="status" data-testid="call-ended">{call.endedReason()}</p>
            </Show>
            <button type="button" class="small call-button" data-testid="call-join" disabled={props.disabled} onClick={join}>
              <CameraIcon /><span>Join call</span>
            </button>
            <button type="button" class="secondary small" data-testid="call-check" disabled={props.disabled}
              onClick={() => { void call.prepare(props.roomId) }}>Check camera and microphone</button>
          </div>
        </Match>
      </Switch>
    </section>
  )
}

/** The pre-join check: see and hear yourself, pick devices, then join. */
function PreJoin (props: { call: CallStore, onJoin: () => void }) {
  const call = props.call
  const level = createMicLevel(call.micTrack, call.micOn)
  const preview = () => {
    const t = call.cameraTrack()
    return t && call.cameraOn() ? call.streamFor(t) : null
  }
  const processing = [
    ['noiseSuppression', 'Noise suppression'],
    ['echoCancellation', 'Echo cancellation'],
    ['autoGainControl', 'Automatic gain']
  ] as const
  return (
    <div class="call-prejoin" data-testid="call-prejoin">
      <div class="call-preview">
        <Show when={preview()} fallback={<p class="muted">Camera off</p>}>
          <MediaVideo stream={preview()} mirror label="Your camera" />
        </Show>
      </div>
      <div class="call-setup stack compact">
        <label>
          <span>Camera</span>
          <select data-testid="camera-select" value={call.settings().cameraId}
            onChange={(e) => { void call.setSetting('cameraId', e.currentTarget.value) }}>
            <option value="">Default camera</option>
            <For each={call.devices().cameras}>
              {(d, i) => <option value={d.deviceId}>{d.label || `Camera ${i() + 1}`}</option>}
            </For>
          </select>
        </label>
        <label>
          <span>Microphone</span>
          <select data-testid="mic-select" value={call.settings().micId}
            onChange={(e) => { void call.setSetting('micId', e.currentTarget.value) }}>
            <option value="">Default microphone</option>
            <For each={call.devices().microphones}>
              {(d, i) => <option value={d.deviceId}>{d.label || `Microphone ${i() + 1}`}</option>}
            </For>
          </select>
        </label>
        <div class="mic-meter" role="meter" aria-label="Microphone level" aria-valuemin="0" aria-valuemax="100"
          aria-valuenow={Math.round(level() * 100)} data-testid="mic-meter">
          <span style={{ width: `${Math.round(level() * 100)}%` }} />
        </div>
        <fieldset class="call-processing">
          <legend class="small-text muted">Audio processing</legend>
          <For each={processing}>
            {([key, label]) => (
              <label class="check">
                <input type="checkbox" checked={call.settings()[key]}
                  onChange={(e) => { void call.setSetting(key, e.currentTarget.checked) }} />
                <span>{label}</span>
              </label>
            )}
          </For>
        </fieldset>
        <label class="check" title="Others' video arrives at low quality, for slow or metered connections">
          <input type="checkbox" data-testid="data-saver" checked={call.settings().dataSaver}
            onChange={(e) => { void call.setSetting('dataSaver', e.currentTarget.checked) }} />
          <span>Data saver (low-quality video)</span>
        </label>
        <ErrorText message={call.mediaError()} />
        <div class="row-gap">
          <MediaToggles call={call} />
        </div>
        <div class="row-gap">
          <button type="button" class="call-button" data-testid="call-join" onClick={() => props.onJoin()}>
            <CameraIcon /><span>Join call</span>
          </button>
          <button type="button" class="secondary" onClick={() => call.cancelPrepare()}>Cancel</button>
        </div>
      </div>
    </div>
  )
}

function CallStage (props: { call: CallStore }) {
  const call = props.call
  return (
    <div class="call-stage">
      <div class="call-head">
        <CallStatus state={call.state()} />
        <span class="muted small-text" data-testid="call-size">
          {call.participants().length} in the call{call.limit() > 0 ? ` (up to ${call.limit()})` : ''}
        </span>
        <Show when={call.notice()}>
          <p class="call-notice" role="status" data-testid="call-notice">
            <span>{call.notice()}</span>
            <button type="button" class="link" onClick={() => call.dismissNotice()}>Dismiss</button>
          </p>
        </Show>
      </div>
      <ErrorText message={call.mediaError()} />
      <div class="call-main">
        <TileGrid call={call} />
        <aside class="call-side" aria-label="People in the call">
          <CallRoster call={call} />
        </aside>
      </div>
      <CallControls call={call} />
    </div>
  )
}

/** Microphone, camera, screen share and leave. */
export function CallControls (props: { call: CallStore }) {
  const call = props.call
  return (
    <div class="call-controls" role="toolbar" aria-label="Call controls">
      <Show when={call.grants()?.publish}>
        <MediaToggles call={call} />
      </Show>
      <Show when={call.grants()?.screen}>
        <button type="button" class="secondary small call-button" classList={{ active: call.sharing() }} data-testid="screen-share"
          data-state={call.sharing() ? 'on' : 'off'}
          onClick={() => { if (call.sharing()) call.stopScreenShare(); else void call.startScreenShare() }}>
          <ScreenIcon /><span>{call.sharing() ? 'Stop sharing' : 'Share screen'}</span>
        </button>
      </Show>
      <button type="button" class="secondary small call-button" classList={{ active: call.settings().dataSaver }}
        data-testid="data-saver-toggle" data-state={call.settings().dataSaver ? 'on' : 'off'} aria-pressed={call.settings().dataSaver}
        title="Receive others' video at low quality (slow or metered connection)"
        onClick={() => { void call.setSetting('dataSaver', !call.settings().dataSaver) }}>
        <span>{call.settings().dataSaver ? 'Data saver on' : 'Data saver'}</span>
      </button>
      <button type="button" class="danger small call-button" data-testid="call-leave" onClick={() => call.leave()}>
        <LeaveIcon /><span>Leave</span>
      </button>
    </div>
  )
}

/** Who is in the call, with their microphone and network; moderators may mute and remove. */
export function CallRoster (props: { call: CallStore }) {
  const call = props.call
  const moderate = () => !!call.grants()?.moderate
  const [confirmEnd, setConfirmEnd] = createSignal(false)
  const count = createMemo(() => call.participants().length)
  return (
    <div class="call-roster-wrap">
      <h2 class="call-roster-head">In the call <span class="muted">({count()})</span></h2>
      <ul class="call-roster" data-testid="call-roster">
        <For each={call.participants()}>
          {(p) => {
            const self = () => p.id === call.selfId()
            const micOff = () => (self() ? call.micOff(p.id) : isOff(p, 'microphone'))
            return (
              <li class="call-person" data-testid="call-participant" data-participant-id={p.id} data-muted={micOff() ? 'true' : 'false'}
                classList={{ speaking: call.activeSpeakers().has(p.id) }}>
                <span class="avatar" style={{ 'background-color': colorFor(p.user_id || p.id) }} aria-hidden="true">{initials(p.name)}</span>
                <span class="call-person-name">
                  {p.name}{self() ? ' (you)' : ''}
                  <Show when={p.moderator}><span class="badge">moderator</span></Show>
                </span>
                <span class="call-person-mic" role="img" aria-label={micOff() ? 'Microphone off' : 'Microphone on'}
                  title={micOff() ? 'Microphone off' : 'Microphone on'}>
                  {micOff() ? <MicOffIcon /> : <MicIcon />}
                </span>
                <NetworkBars quality={call.quality()[p.id] ?? 'unknown'} />
                <Show when={moderate() && !self()}>
                  <span class="call-person-actions">
                    <button type="button" class="secondary small" data-testid="moderator-mute" disabled={micOff()}
                      aria-label={`Mute ${p.name}`} onClick={() => call.muteParticipant(p.id, 'microphone')}>Mute</button>
                    <button type="button" class="secondary small" data-testid="moderator-remove"
                      aria-label={`Remove ${p.name} from the call`} onClick={() => call.removeParticipant(p.id)}>Remove</button>
                  </span>
                </Show>
              </li>
            )
          }}
        </For>
      </ul>
      <Show when={moderate()}>
        <div class="call-moderation stack compact">
          <label class="check">
            <input type="checkbox" data-testid="allow-viewers" checked={call.viewersMayPublish()}
              onChange={(e) => { if (!call.allowViewersToPublish(e.currentTarget.checked)) e.currentTarget.checked = call.viewersMayPublish() }} />
            <span>Allow viewers to publish</span>
          </label>
          <Show when={confirmEnd()} fallback={
            <button type="button" class="danger small" data-testid="end-call" onClick={() => setConfirmEnd(true)}>End call for everyone</button>
          }>
            <div class="tree-form confirm" role="group" aria-label="End the call for everyone?">
              <span>End the call for everyone?</span>
              <button type="button" class="danger small" data-testid="end-call-confirm"
                onClick={() => { setConfirmEnd(false); call.endCall() }}>End call</button>
              <button type="button" class="secondary small" onClick={() => setConfirmEnd(false)}>Cancel</button>
            </div>
          </Show>
        </div>
      </Show>
    </div>
  )
}
