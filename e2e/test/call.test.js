// Calls in the browser: three members of one workspace in a room's call,
// through the server's SFU, with chromium's fake camera, microphone and
// screen. Each decodes the other two's video and audio; a screen share shows
// up large for the others; a subscriber with a tiny tile gets a lower
// simulcast layer than one with a large tile; a member who forces TURN
// (`?relay=1`) gets its media through the relay; a page that goes offline and
// online again resumes without anyone clicking join.
//
// What this expects of the server: the call socket and ICE servers of
// crates/proto/src/call.rs; `GET /api/v1/rtc/ice-servers` offering a TURN
// server (with `reynard serve`'s defaults, or the extra arguments in
// REYNARD_E2E_CALL_ARGS); layers chosen from the subscriber's `viewport`.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import {
  apiFromPage,
  cleanup,
  launchBrowser,
  newPerson,
  screenshot,
  signUp,
  sleep,
  startApp,
  startServer,
  waitFor
} from '../lib/harness.js'

/** First frames on a loaded 2-core machine can take a while. */
const MEDIA_TIMEOUT = 30_000

describe('calls in the browser', () => {
  let server, app, browser
  let owner, ann, ben
  let people
  let workspaceId, roomUrl

  before(async () => {
    const extra = process.env.REYNARD_E2E_CALL_ARGS?.split(/\s+/).filter(Boolean) ?? []
    server = await startServer({ args: extra })
    app = await startApp(server)
    browser = await launchBrowser()
    owner = await newPerson(browser, app.baseUrl, { name: 'Olga Owner' })
    ann = await newPerson(browser, app.baseUrl, { name: 'Ann Editor' })
    ben = await newPerson(browser, app.baseUrl, { name: 'Ben Editor' })
    people = [owner, ann, ben]
    // What each page says on its call socket (viewport frames).
    for (const person of people) {
      person.callFrames = []
      person.page.on('websocket', (ws) => {
        if (!/\/api\/v1\/rooms\/[^/]+\/call$/.test(ws.url())) return
        ws.on('framesent', ({ payload }) => {
          try { person.callFrames.push(JSON.parse(String(payload))) } catch {}
        })
      })
    }
  })

  after(async () => {
    await cleanup()
  })

  const noProblems = (...list) => {
    for (const p of list) assert.deepEqual(p.problems, [], `console errors on ${p.name}'s page`)
  }
  const tiles = (page) => page.getByTestId('video-tile')
  const callState = (page) => page.evaluate(() => window.__reynardCall?.state() ?? null)
  const selfId = (page) => page.evaluate(() => window.__reynardCall?.selfId() ?? null)

  /** Joins the call of the room shown (or `url`) and waits until the call is connected. */
  async function join (person, url = roomUrl) {
    const { page } = person
    if (new URL(page.url()).pathname + new URL(page.url()).search !== url) await page.goto(url)
    await page.getByTestId('call-join').click()
    await page.locator('[data-testid="call-status"][data-state="connected"]').waitFor({ timeout: MEDIA_TIMEOUT })
  }

  /**
   * The subscriber connection's inbound streams, each with whose track and
   * which source it carries (from the call's mid → track list).
   */
  function inbound (page) {
    return page.evaluate(async () => {
      const call = window.__reynardCall
      const pc = call?.subscriber
      if (!pc) return []
      const tracks = call.tracks()
      const midOfTrack = new Map(pc.getTransceivers().map((t) => [t.receiver.track?.id, t.mid]))
      const out = []
      ;(await pc.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp') return
        const mid = s.mid ?? midOfTrack.get(s.trackIdentifier)
        const track = tracks.find((t) => t.mid === mid)
        out.push({
          id: s.id,
          kind: s.kind,
          mid,
          participant: track?.participant_id ?? null,
          source: track?.source ?? null,
          framesDecoded: s.framesDecoded ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          frameWidth: s.frameWidth ?? 0
        })
      })
      return out
    })
  }

  /** Inbound streams whose bytes (and, for video, decoded frames) grew over `ms`. */
  async function growing (page, ms = 2000) {
    const before = await inbound(page)
    await sleep(ms)
    const now = await inbound(page)
    return now.filter((s) => {
      const prev = before.find((b) => b.id === s.id)
      return prev && s.participant && s.bytesReceived > prev.bytesReceived && (s.kind !== 'video' || s.framesDecoded > prev.framesDecoded)
    })
  }

  /** Waits until `person` decodes at least `video` video and `audio` audio streams (matching `which`). */
  async function waitForMedia (person, { video = 2, audio = 2, which = () => true, timeout = MEDIA_TIMEOUT } = {}) {
    let last = []
    await waitFor(async () => {
      last = (await growing(person.page)).filter(which)
      return last.filter((s) => s.kind === 'video').length >= video && last.filter((s) => s.kind === 'audio').length >= audio
    }, { timeout, interval: 50, message: () => `${person.name} to decode ${video} video and ${audio} audio streams; growing: ${JSON.stringify(last)}` })
    return last
  }

  /** Whether every remote video on the page plays (and there are at least `n`). */
  function remoteVideosPlaying (page, n) {
    return page.evaluate((n) => {
      const videos = [...document.querySelectorAll('[data-testid="video-tile"]:not([data-self]) video')]
      return videos.length >= n && videos.every((v) => !v.paused && v.readyState >= 2 && v.videoWidth > 0)
    }, n)
  }

  /** The width of what `person` receives of `participant`'s camera. */
  async function cameraWidth (person, participant) {
    const streams = await inbound(person.page)
    return streams.find((s) => s.participant === participant && s.source === 'camera')?.frameWidth ?? 0
  }

  /** The last size `person` told the SFU it shows a track at. */
  function lastViewport (person, trackId) {
    const frames = person.callFrames.filter((f) => f.type === 'viewport')
    for (let i = frames.length - 1; i >= 0; i--) {
      const entry = frames[i].tracks.find((t) => t.track_id === trackId)
      if (entry) return entry
    }
    return null
  }

  test('three members join a room\'s call, and each decodes the other two\'s video and audio', async () => {
    for (const person of people) await signUp(person)
    const { page } = owner
    await page.getByLabel('Name').fill('Call team')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByTestId('file-tree').waitFor()
    workspaceId = new URL(page.url()).pathname.split('/')[2]
    for (const editor of [ann, ben]) {
      await page.getByTestId('member-email').fill(editor.email)
      await page.getByTestId('member-role').selectOption('editor')
      await page.getByTestId('add-member').click()
      await page.getByText(`${editor.email} was invited as editor`).waitFor()
      const link = await page.getByLabel(`Invite link for ${editor.email}`, { exact: true }).inputValue()
      await editor.page.goto(new URL(link).pathname)
      await editor.page.getByTestId('file-tree').waitFor()
    }
    const general = page.locator('[data-testid="room-item"][data-room-name="general"] a').first()
    await general.waitFor()
    await general.click()
    await page.getByTestId('room-title').filter({ hasText: '#general' }).waitFor()
    roomUrl = new URL(page.url()).pathname

    // The TURN path of a later test needs the server to offer TURN.
    const ice = await apiFromPage(page, 'GET', '/api/v1/rtc/ice-servers')
    assert.equal(ice.status, 200, ice.text)
    assert.ok(Array.isArray(ice.json.iceServers), ice.text)

    for (const person of people) await join(person)
    for (const person of people) {
      await waitFor(async () => (await tiles(person.page).count()) === 3,
        { timeout: MEDIA_TIMEOUT, message: () => `three tiles on ${person.name}'s page` })
    }
    for (const person of people) {
      const streams = await waitForMedia(person)
      // One camera and one microphone of each of the other two.
      const self = await selfId(person.page)
      const others = new Set(streams.map((s) => s.participant))
      assert.ok(!others.has(self), `${person.name} receives only the others`)
      assert.equal(others.size, 2, `${person.name} decodes two people: ${JSON.stringify(streams)}`)
      await waitFor(() => remoteVideosPlaying(person.page, 2),
        { timeout: MEDIA_TIMEOUT, message: `the remote videos to play on ${person.name}'s page` })
      assert.equal(await person.page.getByTestId('call-participant').count(), 3)
      assert.equal(await person.page.locator('[data-testid="video-tile"][data-self="true"]').count(), 1)
    }
    // The room shows how many are in its call.
    await waitFor(async () => /3/.test(await owner.page.getByTestId('call-count').innerText()),
      { timeout: 5000, message: 'the room header to count three in the call' })
    assert.match(await owner.page.locator('[data-testid="room-item"][data-room-name="general"] [data-testid="room-call-count"]').innerText(), /3/)
    await screenshot(owner.page, '20-call-three')
    noProblems(...people)
  })

  test('a screen share shows up large for the other two, and decodes', async () => {
    const sharer = await selfId(owner.page)
    await owner.page.getByTestId('screen-share').click()
    await owner.page.locator('[data-testid="screen-share"][data-state="on"]').waitFor({ timeout: 10_000 })
    for (const person of [ann, ben]) {
      const tile = person.page.locator(`[data-testid="video-tile"][data-source="screen"][data-participant-id="${sharer}"]`)
      await tile.waitFor({ timeout: MEDIA_TIMEOUT })
      // shown large without anyone pinning it
      assert.equal(await person.page.locator('.call-featured [data-testid="video-tile"]').getAttribute('data-source'), 'screen')
      await waitForMedia(person, { video: 1, audio: 0, which: (s) => s.participant === sharer && s.source === 'screen' })
      await waitFor(() => tile.locator('video').evaluate((v) => !v.paused && v.videoWidth > 0),
        { timeout: MEDIA_TIMEOUT, message: `the screen share to play on ${person.name}'s page` })
    }
    await screenshot(ann.page, '21-call-screen-share')

    // Stopping it takes it away for everyone.
    await owner.page.getByTestId('screen-share').click()
    for (const person of [ann, ben]) {
      await waitFor(async () => (await person.page.locator('[data-testid="video-tile"][data-source="screen"]').count()) === 0,
        { timeout: 15_000, message: `the screen share to go from ${person.name}'s page` })
    }
    noProblems(...people)
  })

  test('a subscriber with a small tile or low bandwidth receives a lower layer', async () => {
    const camera = await selfId(owner.page)
    const trackId = await ann.page.evaluate((camera) =>
      window.__reynardCall.tracks().find((t) => t.participant_id === camera && t.source === 'camera')?.track_id, camera)
    assert.ok(trackId, 'Ann receives the owner\'s camera')

    // Ann shows the owner's camera large (pinned, in a tall window); Ben's window is tiny.
    await ann.page.setViewportSize({ width: 1400, height: 1300 })
    await ann.page.locator(`[data-testid="video-tile"][data-source="camera"][data-participant-id="${camera}"] [data-testid="pin-tile"]`).click()
    await ben.page.setViewportSize({ width: 760, height: 360 })

    // What the two pages tell the SFU.
    await waitFor(() => (lastViewport(ann, trackId)?.width ?? 0) >= 640,
      { timeout: 5000, message: () => `Ann to report a large tile: ${JSON.stringify(lastViewport(ann, trackId))}` })
    await waitFor(() => { const v = lastViewport(ben, trackId); return v && v.width <= 320 && v.width > 0 },
      { timeout: 5000, message: () => `Ben to report a small tile: ${JSON.stringify(lastViewport(ben, trackId))}` })

    // What the SFU forwards (it switches layers on a key frame).
    let widths = {}
    await waitFor(async () => {
      widths = { ann: await cameraWidth(ann, camera), ben: await cameraWidth(ben, camera) }
      return widths.ann >= 640 && widths.ben > 0 && widths.ben <= 320
    }, { timeout: MEDIA_TIMEOUT, interval: 500, message: () => `Ann ≥ 640 and Ben ≤ 320 pixels wide: ${JSON.stringify(widths)}` })
    // Both still decode it.
    await waitForMedia(ben, { video: 1, audio: 0, which: (s) => s.participant === camera })

    await ann.page.locator(`[data-testid="video-tile"][data-participant-id="${camera}"] [data-testid="pin-tile"]`).click()
    await ann.page.setViewportSize({ width: 1280, height: 800 })
    await ben.page.setViewportSize({ width: 1280, height: 800 })
    noProblems(...people)
  })

  test('a subscriber declaring low bandwidth (data saver) gets the low layer while the others keep the high one', async () => {
    const camera = await selfId(owner.page)
    // Both show the owner's camera large.
    for (const person of [ann, ben]) {
      await person.page.setViewportSize({ width: 1400, height: 1300 })
      await person.page.locator(`[data-testid="video-tile"][data-source="camera"][data-participant-id="${camera}"] [data-testid="pin-tile"]`).click()
    }
    let widths = {}
    await waitFor(async () => {
      widths = { ann: await cameraWidth(ann, camera), ben: await cameraWidth(ben, camera) }
      return widths.ann >= 640 && widths.ben >= 640
    }, { timeout: MEDIA_TIMEOUT, interval: 500, message: () => `both ≥ 640 pixels wide: ${JSON.stringify(widths)}` })

    // Ann's connection turns metered: her answer declares 200 kbit/s per video.
    await ann.page.getByTestId('data-saver-toggle').click()
    await ann.page.locator('[data-testid="data-saver-toggle"][data-state="on"]').waitFor()
    await waitFor(async () => {
      widths = { ann: await cameraWidth(ann, camera), ben: await cameraWidth(ben, camera) }
      return widths.ann > 0 && widths.ann <= 320 && widths.ben >= 640
    }, { timeout: MEDIA_TIMEOUT, interval: 500, message: () => `Ann ≤ 320 and Ben ≥ 640 pixels wide: ${JSON.stringify(widths)}` })
    await waitForMedia(ann, { video: 1, audio: 0, which: (s) => s.participant === camera })

    await ann.page.getByTestId('data-saver-toggle').click()
    for (const person of [ann, ben]) {
      await person.page.locator(`[data-testid="video-tile"][data-participant-id="${camera}"] [data-testid="pin-tile"]`).click()
      await person.page.setViewportSize({ width: 1280, height: 800 })
    }
    noProblems(...people)
  })

  test('a member who forces TURN (?relay=1) gets its media through the relay', async () => {
    const ice = await apiFromPage(ben.page, 'GET', '/api/v1/rtc/ice-servers')
    assert.ok(ice.json?.iceServers?.some((s) => s.urls.some((u) => /^turns?:/.test(u))),
      `the server offers no TURN server (set REYNARD_E2E_CALL_ARGS?): ${ice.text}`)

    await ben.page.getByTestId('call-leave').click()
    await ben.page.locator('[data-testid="call"][data-state="idle"]').waitFor()
    await join(ben, `${roomUrl}?relay=1`)
    await waitForMedia(ben, { video: 2, audio: 2 })
    const types = await ben.page.evaluate(async () => {
      const typeOf = async (pc) => {
        const stats = new Map()
        ;(await pc.getStats()).forEach((s) => stats.set(s.id, s))
        const transport = [...stats.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId)
        const pair = transport && stats.get(transport.selectedCandidatePairId)
        return pair ? stats.get(pair.localCandidateId)?.candidateType ?? null : null
      }
      const call = window.__reynardCall
      return { subscriber: await typeOf(call.subscriber), publisher: call.publisher ? await typeOf(call.publisher) : null }
    })
    assert.equal(types.subscriber, 'relay', JSON.stringify(types))
    assert.equal(types.publisher, 'relay', JSON.stringify(types))
    // The others get Ben's media through the relay too.
    const benId = await selfId(ben.page)
    for (const person of [owner, ann]) {
      await waitForMedia(person, { video: 1, audio: 1, which: (s) => s.participant === benId })
    }
    noProblems(...people)
  })

  test('a participant whose page goes offline and online again resumes without rejoining', async () => {
    await waitForMedia(ann)
    ann.problems.length = 0
    await ann.context.setOffline(true)
    await waitFor(async () => (await callState(ann.page)) === 'reconnecting',
      { timeout: 5000, message: 'Ann\'s call to say it is reconnecting' })
    await ann.page.locator('[data-testid="call-status"][data-state="reconnecting"]').waitFor()
    await sleep(3000)
    await ann.context.setOffline(false)
    // Nobody clicks join: the call comes back by itself.
    assert.equal(await ann.page.getByTestId('call-join').count(), 0, 'no join button while reconnecting')
    await waitFor(async () => (await callState(ann.page)) === 'connected',
      { timeout: MEDIA_TIMEOUT, message: 'Ann\'s call to be connected again' })
    await waitForMedia(ann, { video: 2, audio: 2 })
    await waitFor(() => remoteVideosPlaying(ann.page, 2), { timeout: MEDIA_TIMEOUT, message: 'Ann\'s remote videos to play again' })

    // The others still see (and decode) her.
    const annId = await selfId(ann.page)
    for (const person of [owner, ben]) {
      await waitFor(async () => (await person.page.locator(`[data-testid="video-tile"][data-participant-id="${annId}"]`).count()) === 1,
        { timeout: MEDIA_TIMEOUT, message: `${person.name} to show Ann's tile` })
      await waitForMedia(person, { video: 1, audio: 1, which: (s) => s.participant === annId })
      assert.equal(await tiles(person.page).count(), 3)
    }
    // Offline, the page's sockets failed to connect; nothing else went wrong.
    ann.problems.splice(0, ann.problems.length, ...ann.problems.filter((p) =>
      !/ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed|Failed to load resource/.test(p)))
    noProblems(...people)
  })
})
