// The browser session: the HttpOnly cookie is the only credential. Nothing a
// page script can read holds a token, a page with only the cookie is signed
// in, the document WebSocket carries no token in its URL, and the editor works
// under the server's Content-Security-Policy without a single violation.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import {
  cleanup,
  editorText,
  focusEditorAtEnd,
  launchBrowser,
  newPerson,
  signUp,
  startApp,
  startServer,
  waitFor,
  waitForEditor
} from '../lib/harness.js'

describe('the browser session', () => {
  let server, app, browser, ada
  const sockets = []

  before(async () => {
    server = await startServer()
    app = await startApp(server)
    browser = await launchBrowser()
    ada = await newPerson(browser, app.baseUrl, { name: 'Ada Lovelace' })
    ada.page.on('websocket', (ws) => sockets.push(ws.url()))
    // Every CSP violation of the page, whether or not it reaches the console.
    await ada.context.addInitScript(() => {
      window.__cspViolations = []
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`)
      })
    })
  })

  after(async () => {
    await cleanup()
  })

  const storedValues = (page) => page.evaluate(() =>
    Object.keys(localStorage).map((key) => `${key}=${localStorage.getItem(key)}`)
      .concat(Object.keys(sessionStorage).map((key) => `${key}=${sessionStorage.getItem(key)}`)))

  test('signing up keeps the session in the HttpOnly cookie only', async () => {
    const { page } = ada
    const answer = page.waitForResponse((res) => new URL(res.url()).pathname === '/api/v1/auth/signup')
    await signUp(ada)
    const body = await (await answer).json()
    assert.equal(body.user.name, 'Ada Lovelace')
    assert.equal(body.token, undefined, 'no token in the answer page scripts read')
    const stored = await storedValues(page)
    assert.ok(!stored.some((entry) => /rnd_|token/i.test(entry)), `no token in web storage: ${stored}`)
    assert.doesNotMatch(await page.evaluate(() => document.cookie), /reynard_session/, 'the cookie is HttpOnly')
    const cookies = await ada.context.cookies()
    const session = cookies.find((c) => c.name === 'reynard_session')
    assert.ok(session?.httpOnly, 'the browser holds an HttpOnly session cookie')
  })

  test('a page with the cookie and empty storage is signed in', async () => {
    const { page } = ada
    await page.evaluate(() => { localStorage.clear(); sessionStorage.clear() })
    await page.reload()
    await page.getByRole('heading', { name: 'Your workspaces' }).waitFor()
    assert.deepEqual(await storedValues(page), [])
  })

  test('the document WebSocket is authenticated by the cookie, with no token in its URL', async () => {
    const { page } = ada
    await page.getByLabel('Name').fill('Analytical Engine')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByTestId('file-tree').waitFor()
    await page.getByTestId('new-file').click()
    await page.getByLabel('New file path').fill('notes/program.txt')
    await page.keyboard.press('Enter')
    await waitForEditor(page)
    await focusEditorAtEnd(page)
    await page.keyboard.type('the engine weaves algebraic patterns\n')
    const docId = new URL(page.url()).pathname.split('/')[4]
    await waitFor(async () => {
      const res = await page.evaluate((id) => fetch(`/api/v1/documents/${id}/content`).then((r) => r.text()), docId)
      return res.includes('algebraic patterns')
    }, { timeout: 3000, message: 'the server to store the typed text' })

    const collab = sockets.filter((url) => new URL(url).pathname.startsWith('/collab/'))
    assert.ok(collab.length >= 1, `a document WebSocket was opened: ${sockets}`)
    for (const url of collab) assert.doesNotMatch(url, /token=/, `no token in ${url}`)
  })

  test('the editor runs under the Content-Security-Policy without violations', async (t) => {
    const { page } = ada
    const response = await page.reload()
    await waitForEditor(page)
    assert.match(await editorText(page), /algebraic patterns/)
    if (app.mode !== 'embedded') {
      t.skip('the static proxy serves web/dist without the server\'s headers: rebuild the binary to check the policy')
      return
    }
    const csp = response.headers()['content-security-policy'] ?? ''
    assert.match(csp, /script-src 'self';/)
    assert.match(csp, /frame-ancestors 'none'/)
    // Typing runs the editor's worker; the history panel lists versions.
    await focusEditorAtEnd(page)
    await page.keyboard.type('// and more\n')
    await page.getByTestId('toggle-history').click()
    await page.getByTestId('history-panel').waitFor()
    await page.getByTestId('version-name').fill('first')
    await page.getByTestId('name-version').click()
    await page.getByTestId('version-item').first().waitFor()
    await page.waitForTimeout(300)
    const violations = await page.evaluate(() => window.__cspViolations)
    assert.deepEqual(violations, [], 'CSP violations')
    assert.deepEqual(ada.problems, [], 'console errors')
  })

  test('signing out ends the session for the next page load', async () => {
    const { page } = ada
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    assert.deepEqual(ada.problems, [], 'console errors')
  })
})
