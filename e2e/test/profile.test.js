// The profile in the browser: sign-up keeps the browser's time zone, and
// working hours edited on the profile page are kept (the slot finder proposes
// meetings inside them).

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { apiFromPage, cleanup, launchBrowser, newPerson, signUp, startApp, startServer } from '../lib/harness.js'

describe('the profile in the browser', () => {
  let server, app, browser, kim

  before(async () => {
    server = await startServer()
    app = await startApp(server)
    browser = await launchBrowser()
    kim = await newPerson(browser, app.baseUrl, { name: 'Kim Seoul', timezoneId: 'Asia/Seoul' })
  })

  after(async () => {
    await cleanup()
  })

  test('sign-up keeps the browser\'s zone; working hours are edited and kept', async () => {
    await signUp(kim)
    const { page } = kim
    const me = await apiFromPage(page, 'GET', '/api/v1/me')
    assert.equal(me.json.time_zone, 'Asia/Seoul', me.text)

    await page.getByTestId('profile-link').click()
    await page.getByTestId('profile-page').waitFor()
    assert.equal(await page.getByTestId('profile-time-zone').inputValue(), 'Asia/Seoul')
    // Friday ends early; Saturday mornings are worked too.
    await page.getByLabel('Friday until').fill('13:00')
    await page.locator('[data-day="sat"]').getByRole('button', { name: 'Add hours' }).click()
    await page.getByLabel('Saturday until').fill('12:00')
    // An impossible interval is refused before saving.
    await page.getByLabel('Saturday from').fill('14:00')
    await page.getByText('Saturday: 14:00–12:00 ends before it starts').waitFor()
    assert.equal(await page.getByTestId('profile-save').isDisabled(), true)
    await page.getByLabel('Saturday from').fill('09:00')
    await page.getByTestId('profile-save').click()
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()

    await page.reload()
    await page.getByTestId('profile-page').waitFor()
    const saved = await apiFromPage(page, 'GET', '/api/v1/me')
    assert.deepEqual(saved.json.working_hours.fri, [['09:00', '13:00']], saved.text)
    assert.deepEqual(saved.json.working_hours.sat, [['09:00', '12:00']], saved.text)
    assert.equal(await page.getByLabel('Friday until').inputValue(), '13:00')
    assert.deepEqual(kim.problems, [])
  })
})
