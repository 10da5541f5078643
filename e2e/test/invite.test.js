// Inviting someone without mail: the owner adds an email that has no account,
// copies the invite link from the members panel and hands it over; the
// invitee opens it, signs up on the way, and lands in the workspace.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { cleanup, emailFor, launchBrowser, newPerson, PASSWORD, signUp, startApp, startServer } from '../lib/harness.js'

describe('an invite link in the browser', () => {
  let server, app, browser, owner, invitee

  before(async () => {
    server = await startServer() // no --smtp-url: the link is shown, not mailed
    app = await startApp(server)
    browser = await launchBrowser()
    owner = await newPerson(browser, app.baseUrl, { name: 'Olive Owner' })
    invitee = await newPerson(browser, app.baseUrl, { name: 'Ivan Invitee' })
  })

  after(async () => {
    await cleanup()
  })

  test('the invitee opens the copied link, signs up, and lands in the workspace', async () => {
    const { page } = owner
    await signUp(owner)
    await page.getByLabel('Name').fill('Lighthouse')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByTestId('file-tree').waitFor()
    const workspacePath = new URL(page.url()).pathname
    await page.getByTestId('members-panel').waitFor()
    // Someone not verified sees why invitations wait, and that this server sends no mail.
    await page.getByTestId('verify-notice').waitFor()

    const email = emailFor(invitee.name)
    await page.getByTestId('member-email').fill(email)
    await page.getByTestId('member-role').selectOption('editor')
    await page.getByTestId('add-member').click()
    await page.getByText(`${email} was invited as editor`).waitFor()
    const field = page.getByLabel(`Invite link for ${email}`, { exact: true })
    const link = await field.inputValue()
    assert.match(link, /\/invite\/inv_[A-Za-z0-9_-]{43}$/)

    await owner.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.baseUrl })
    await page.getByRole('button', { name: `Copy the invite link for ${email}` }).click()
    await page.getByText('Copied.').waitFor()
    const copied = await page.evaluate(() => navigator.clipboard.readText())
    assert.equal(copied, link)

    // The invitee, not signed in, opens the link: sign in first (or sign up).
    const ipage = invitee.page
    await ipage.goto(new URL(copied).pathname)
    await ipage.getByRole('heading', { name: 'Sign in' }).waitFor()
    await ipage.getByRole('link', { name: 'Create one' }).click()
    await ipage.getByLabel('Name').fill(invitee.name)
    await ipage.getByLabel('Email').fill(emailFor('someone else')) // the link is the proof, not the email
    await ipage.getByLabel('Password').fill(PASSWORD)
    await ipage.getByRole('button', { name: 'Create account' }).click()

    // …and lands in the workspace, as an editor.
    await ipage.getByTestId('file-tree').waitFor()
    assert.equal(new URL(ipage.url()).pathname, workspacePath)
    await ipage.getByTestId('new-file').waitFor()

    // The link worked once: the invitation is gone and the invitee is a member.
    await page.reload()
    await page.getByTestId('member').nth(1).waitFor()
    assert.equal(await page.getByTestId('member').count(), 2)
    assert.equal(await page.getByLabel(`Invite link for ${email}`, { exact: true }).count(), 0)
    assert.deepEqual(owner.problems, [], 'console errors on the owner\'s page')
    assert.deepEqual(invitee.problems, [], 'console errors on the invitee\'s page')
    // (The page logs the refused second use below as a failed request: checked above.)
    const again = await ipage.evaluate(async (token) => {
      const res = await fetch('/api/v1/invitations/accept', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), credentials: 'same-origin'
      })
      return { status: res.status, body: await res.json() }
    }, copied.split('/invite/')[1])
    assert.equal(again.status, 400)
    assert.equal(again.body.error.code, 'invalid_token')

  })
})
