// Meetings in the browser: an organizer in London schedules a meeting from
// the calendar with a member of her workspace (in New York) and a guest
// without an account, picking a time the slot finder proposes (the guest is
// left out of slot finding); the meeting shows in her week; the member finds
// it in his own week, in his own zone, opens it and accepts; the organizer's
// view of the meeting then has his answer.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { apiFromPage, cleanup, launchBrowser, newPerson, screenshot, signUp, startApp, startServer } from '../lib/harness.js'

const ALL_DAY = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]))
const GUEST = 'guest@example.org'

describe('meetings in the browser', () => {
  let server, app, browser, olive, milo

  before(async () => {
    server = await startServer()
    app = await startApp(server)
    browser = await launchBrowser()
    olive = await newPerson(browser, app.baseUrl, { name: 'Olive Organizer', timezoneId: 'Europe/London' })
    milo = await newPerson(browser, app.baseUrl, { name: 'Milo Member', timezoneId: 'America/New_York' })
  })

  after(async () => {
    await cleanup()
  })

  test('schedule with a found slot, see it in both weeks, accept it', async () => {
    await signUp(olive)
    await signUp(milo)

    // One workspace: Olive owns it, Milo joins through the invite link (no mail here).
    const ws = await apiFromPage(olive.page, 'POST', '/api/v1/workspaces', { name: 'Harbour' })
    assert.equal(ws.status, 201, ws.text)
    const workspaceId = ws.json.id
    const added = await apiFromPage(olive.page, 'POST', `/api/v1/workspaces/${workspaceId}/members`, { email: milo.email, role: 'editor' })
    assert.ok(added.status === 200 || added.status === 201, added.text)
    if (added.json.status === 'invited') {
      await milo.page.goto(new URL(added.json.invite_link).pathname)
      await milo.page.getByTestId('file-tree').waitFor()
    }
    // Both work around the clock, so that a slot surely exists whenever the test runs.
    for (const person of [olive, milo]) {
      const me = await apiFromPage(person.page, 'PATCH', '/api/v1/me', { working_hours: ALL_DAY })
      assert.equal(me.status, 200, me.text)
    }
    const miloMe = await apiFromPage(milo.page, 'GET', '/api/v1/me')
    assert.equal(miloMe.json.time_zone, 'America/New_York', miloMe.text)

    // Olive schedules from her calendar.
    const { page } = olive
    await page.getByTestId('calendar-link').click()
    await page.getByTestId('calendar-week').waitFor()
    assert.equal(await page.getByTestId('calendar-zone').textContent(), 'Times in Europe/London')
    await page.getByTestId('new-meeting').click()
    await page.getByTestId('meeting-editor').waitFor()
    assert.equal(await page.getByTestId('meeting-workspace').inputValue(), workspaceId)
    assert.equal(await page.getByTestId('meeting-time-zone').inputValue(), 'Europe/London')
    await page.getByTestId('meeting-title').fill('Harbour planning')
    const attendees = page.getByTestId('attendee-input')
    await attendees.fill(milo.email)
    await attendees.press('Enter')
    await attendees.fill(GUEST)
    await attendees.press('Enter')
    assert.equal(await page.getByTestId('attendee-chip').count(), 2)

    await page.getByTestId('find-slots').click()
    const firstSlot = page.getByTestId('slot-item').first()
    await firstSlot.waitFor()
    assert.match(await page.getByTestId('slot-skipped').textContent(), new RegExp(GUEST.replace('.', '\\.')))
    const slotText = await firstSlot.textContent()
    assert.match(slotText, new RegExp(milo.email.replace(/[.+]/g, '\\$&')), 'the reasons name the member')
    await firstSlot.click()
    assert.equal(await firstSlot.getAttribute('aria-pressed'), 'true')
    await screenshot(page, 'calendar-editor')
    const slotStart = await firstSlot.getAttribute('data-start')
    const date = await page.getByTestId('meeting-date').inputValue()
    const start = await page.getByTestId('meeting-start').inputValue()
    await page.getByTestId('meeting-save').click()

    // The meeting is in Olive's week, at the slot's time in her zone.
    const item = page.getByTestId('meeting-item').filter({ hasText: 'Harbour planning' })
    await item.waitFor()
    assert.ok((await item.textContent()).includes(start), await item.textContent())
    assert.equal(await item.getAttribute('data-day'), date)
    const meetingId = await item.getAttribute('data-meeting-id')
    assert.ok(meetingId)
    await screenshot(page, 'calendar-week')

    const created = await apiFromPage(page, 'GET', `/api/v1/meetings/${meetingId}`)
    assert.equal(created.status, 200, created.text)
    assert.equal(created.json.start, `${date}T${start}`)
    assert.equal(created.json.time_zone, 'Europe/London')
    assert.equal(londonTime(slotStart), `${date} ${start}`, 'the slot was read in the editor\'s zone')
    assert.deepEqual(created.json.attendees.map((a) => a.email).sort(), [milo.email, GUEST].sort())

    // Milo finds it in his agenda and in his week (in New York time), opens it and accepts.
    const now = Date.now()
    const agenda = await apiFromPage(milo.page, 'GET',
      `/api/v1/me/agenda?from=${encodeURIComponent(new Date(now - 3600_000).toISOString())}&to=${encodeURIComponent(new Date(now + 9 * 86400_000).toISOString())}`)
    assert.equal(agenda.status, 200, agenda.text)
    const mine = agenda.json.find((o) => o.meeting_id === meetingId)
    assert.ok(mine, agenda.text)
    assert.equal(mine.response, 'needs_action')
    const miloDay = mine.start.slice(0, 10)
    const miloTime = mine.start.slice(11, 16)

    const mpage = milo.page
    await mpage.goto(`/calendar?week=${miloDay}`)
    await mpage.getByTestId('calendar-week').waitFor()
    const theirs = mpage.locator(`[data-testid="meeting-item"][data-meeting-id="${meetingId}"]`)
    await theirs.waitFor()
    assert.equal(await theirs.getAttribute('data-day'), miloDay)
    assert.ok((await theirs.textContent()).includes(miloTime), await theirs.textContent())
    await theirs.click()
    await mpage.getByTestId('meeting-details').waitFor()
    assert.equal(await mpage.getByTestId('join-call').getAttribute('href'), `/w/${workspaceId}/r/${created.json.room_id}`)
    await mpage.getByTestId('rsvp-accept').click()
    await mpage.locator('[data-testid="rsvp-accept"][aria-pressed="true"]').waitFor()
    await screenshot(mpage, 'calendar-rsvp')

    const answered = await apiFromPage(page, 'GET', `/api/v1/meetings/${meetingId}`)
    assert.equal(answered.status, 200, answered.text)
    const byEmail = Object.fromEntries(answered.json.attendees.map((a) => [a.email, a.response]))
    assert.equal(byEmail[milo.email], 'accepted', answered.text)
    assert.equal(byEmail[GUEST], 'needs_action', answered.text)

    // Olive sees Milo's answer in the meeting's details.
    await page.reload()
    await item.waitFor()
    await item.click()
    await page.locator(`[data-testid="meeting-attendee"][data-email="${milo.email}"][data-response="accepted"]`).waitFor()
    await page.getByTestId('cancel-meeting').waitFor()
    await screenshot(page, 'calendar-meeting-details')

    assert.deepEqual(olive.problems, [], 'console errors on the organizer\'s page')
    assert.deepEqual(milo.problems, [], 'console errors on the member\'s page')
  })
})

/** `YYYY-MM-DD HH:MM` of an instant in London. */
function londonTime (instant) {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'
  }).format(new Date(instant))
}
