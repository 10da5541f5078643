// Chat in the browser: two members of one workspace in one room. What one
// writes reaches the other within a second, as text (HTML and javascript:
// links are never live); typing, who is online, @mentions; a message in a
// room the other is not looking at shows as an unread badge that survives a
// reload; the history is still there after a reload.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import {
  apiFromPage,
  cleanup,
  launchBrowser,
  newPerson,
  screenshot,
  signUp,
  startApp,
  startServer,
  waitFor
} from '../lib/harness.js'

describe('chat in the browser', () => {
  let server, app, browser
  let alice, bob
  let workspaceId, roomId, roomUrl
  const sockets = []

  before(async () => {
    server = await startServer()
    app = await startApp(server)
    browser = await launchBrowser()
    alice = await newPerson(browser, app.baseUrl, { name: 'Alice Liddell' })
    bob = await newPerson(browser, app.baseUrl, { name: 'Bob Builder' })
    bob.page.on('websocket', (ws) => sockets.push(ws.url()))
  })

  after(async () => {
    await cleanup()
  })

  const noProblems = (...people) => {
    for (const p of people) assert.deepEqual(p.problems, [], `console errors on ${p.name}'s page`)
  }
  const messages = (page) => page.getByTestId('chat-message')
  /** A room in the sidebar, by name. */
  const roomItem = (page, name) => page.locator(`[data-testid="room-item"][data-room-name="${name}"]`)

  /** `person`'s unread count of a room as the server has it. */
  async function unreadOnServer (page, room) {
    const { status, json } = await apiFromPage(page, 'GET', `/api/v1/workspaces/${workspaceId}/unread`)
    assert.equal(status, 200)
    return json.find((u) => u.room_id === room)?.unread
  }

  /** Types into the chat box and sends with Enter. */
  async function say (page, text) {
    const input = page.getByTestId('chat-input')
    await input.fill(text)
    await input.press('Enter')
  }

  test('two members of a workspace, and a room made in the sidebar', async () => {
    await signUp(alice)
    await signUp(bob)
    const { page } = alice
    await page.getByLabel('Name').fill('Chatterbox')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByTestId('file-tree').waitFor()
    workspaceId = new URL(page.url()).pathname.split('/')[2]
    assert.ok(workspaceId, page.url())

    // Bob joins as an editor through an invite link (no mail here).
    await page.getByTestId('member-email').fill(bob.email)
    await page.getByTestId('member-role').selectOption('editor')
    await page.getByTestId('add-member').click()
    await page.getByText(`${bob.email} was invited as editor`).waitFor()
    const link = await page.getByLabel(`Invite link for ${bob.email}`, { exact: true }).inputValue()
    await bob.page.goto(new URL(link).pathname)
    await bob.page.getByTestId('file-tree').waitFor()

    // Every workspace has its default room.
    await roomItem(page, 'general').waitFor()

    // Alice makes a room from the sidebar and lands in it.
    await page.getByTestId('new-room').click()
    await page.getByLabel('New room name').fill('planning')
    await page.getByLabel('New room name').press('Enter')
    await page.getByTestId('room-title').filter({ hasText: '#planning' }).waitFor()
    roomUrl = new URL(page.url()).pathname
    assert.match(roomUrl, /^\/w\/[^/]+\/r\/[^/]+$/)
    roomId = roomUrl.split('/')[4]
    // Bob's sidebar hears of it live.
    await roomItem(bob.page, 'planning').waitFor({ timeout: 5000 })
    noProblems(alice, bob)
  })

  test('a message reaches the other person within a second, as text', async () => {
    await bob.page.goto(roomUrl)
    await bob.page.getByTestId('chat-input').waitFor()
    await alice.page.getByTestId('chat-input').waitFor()

    // Both are online, and each sees the other.
    for (const person of [alice, bob]) {
      await waitFor(async () => (await person.page.getByTestId('online-user').count()) === 2,
        { timeout: 5000, message: `two online users on ${person.name}'s page` })
    }
    assert.match(await bob.page.getByTestId('online-list').innerText(), /Alice Liddell/)

    // Bob sees that Alice types, and that she stopped once she sent.
    const input = alice.page.getByTestId('chat-input')
    await input.click()
    await input.pressSequentially('<script>', { delay: 20 })
    await waitFor(async () => /Alice Liddell is typing…/.test(await bob.page.getByTestId('typing-indicator').innerText()),
      { timeout: 3000, message: 'Bob to see that Alice is typing' })
    assert.equal(await alice.page.getByTestId('typing-indicator').innerText(), '', 'nobody sees themselves typing')

    const text = '<script>window.__pwned=1</script> hello **bold**'
    await input.fill(text)
    const sentAt = Date.now()
    await input.press('Enter')
    const seen = bob.page.getByTestId('chat-message').filter({ hasText: 'hello' })
    await seen.waitFor({ timeout: 1000 })
    const took = Date.now() - sentAt
    assert.ok(took <= 1000, `Bob saw the message after ${took} ms`)

    // Shown as the characters typed: the tag is text, nothing ran.
    await bob.page.getByText('<script>window.__pwned=1</script>', { exact: false }).waitFor()
    assert.ok(await bob.page.getByText('<script>window.__pwned=1</script>').isVisible())
    assert.equal(await seen.locator('script').count(), 0, 'no script element in the message')
    assert.equal(await seen.locator('strong').innerText(), 'bold')
    assert.match(await seen.innerText(), /Alice Liddell/)
    for (const person of [alice, bob]) {
      assert.equal(await person.page.evaluate(() => typeof window.__pwned), 'undefined', `nothing ran on ${person.name}'s page`)
    }
    // Alice sees her own message once (her send and its live copy are one).
    await waitFor(async () => (await messages(alice.page).filter({ hasText: 'hello' }).count()) === 1, { timeout: 2000, message: 'one copy on Alice\'s page' })
    await waitFor(async () => (await bob.page.getByTestId('typing-indicator').innerText()) === '',
      { timeout: 3000, message: 'the typing notice to go once the message was sent' })
    await screenshot(bob.page, '10-chat-room')
    noProblems(alice, bob)
  })

  test('a javascript: link is not clickable; a mention of me stands out', async () => {
    await say(alice.page, 'see [click me](javascript:window.__pwned=2) or javascript:alert(1) or https://example.org')
    const linkMessage = messages(bob.page).filter({ hasText: 'click me' })
    await linkMessage.waitFor({ timeout: 2000 })
    const hrefs = await linkMessage.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
    assert.ok(hrefs.every((href) => !/^\s*javascript:/i.test(href ?? '')), `hrefs: ${hrefs}`)
    assert.deepEqual(hrefs, ['https://example.org/'])
    const anyJsLink = await bob.page.evaluate(() =>
      [...document.querySelectorAll('a[href]')].some((a) => a.protocol === 'javascript:'))
    assert.equal(anyJsLink, false, 'no javascript: link anywhere on the page')
    assert.match(await linkMessage.innerText(), /\[click me\]\(javascript:window\.__pwned=2\)/)

    await say(alice.page, '@Bob Builder can you look at the plan?')
    const mention = messages(bob.page).filter({ hasText: 'can you look at the plan' })
    await mention.waitFor({ timeout: 2000 })
    assert.equal(await mention.getAttribute('data-mentions-me'), 'true')
    assert.equal(await mention.locator('.mention-self').innerText(), '@Bob Builder')
    // Alice is not mentioned: nothing stands out for her.
    const hers = messages(alice.page).filter({ hasText: 'can you look at the plan' })
    assert.equal(await hers.getAttribute('data-mentions-me'), null)
    // Bob's page marks what it showed as read, on the server too.
    await waitFor(async () => (await unreadOnServer(bob.page, roomId)) === 0, { timeout: 3000, message: 'Bob to have read #planning' })
    noProblems(alice, bob)
  })

  test('a message in a room Bob is not looking at shows as unread, also after a reload', async () => {
    // Bob is elsewhere: the workspace's overview.
    await bob.page.goto(`/w/${workspaceId}`)
    await bob.page.getByTestId('members-panel').waitFor()
    await roomItem(bob.page, 'planning').waitFor()

    // A third room, made through the API, and a message from Alice in it.
    const created = await apiFromPage(alice.page, 'POST', `/api/v1/workspaces/${workspaceId}/rooms`, { name: 'third' })
    assert.equal(created.status, 201, created.text)
    const third = created.json
    assert.equal(third.name, 'third')
    await roomItem(bob.page, 'third').waitFor({ timeout: 5000 })
    const posted = await apiFromPage(alice.page, 'POST', `/api/v1/rooms/${third.id}/messages`, { text: 'news in the third room' })
    assert.equal(posted.status, 201, posted.text)

    const badge = roomItem(bob.page, 'third').getByTestId('unread-badge')
    await badge.waitFor({ timeout: 3000 })
    assert.equal((await badge.innerText()).trim(), '1')
    assert.equal(await unreadOnServer(bob.page, third.id), 1)
    // Rooms with nothing unread have no badge.
    assert.equal(await roomItem(bob.page, 'planning').getByTestId('unread-badge').count(), 0)
    await screenshot(bob.page, '11-chat-unread')

    // The server kept the count.
    await bob.page.reload()
    await roomItem(bob.page, 'third').getByTestId('unread-badge').waitFor({ timeout: 5000 })
    assert.equal((await roomItem(bob.page, 'third').getByTestId('unread-badge').innerText()).trim(), '1')

    // Opening the room reads it: the badge goes, and stays gone.
    await roomItem(bob.page, 'third').getByRole('link').click()
    await messages(bob.page).filter({ hasText: 'news in the third room' }).waitFor()
    await waitFor(async () => (await roomItem(bob.page, 'third').getByTestId('unread-badge').count()) === 0,
      { timeout: 3000, message: 'the badge to go once Bob reads the room' })
    await waitFor(async () => (await unreadOnServer(bob.page, third.id)) === 0, { timeout: 3000, message: 'the server to know Bob read #third' })
    await bob.page.goto(`/w/${workspaceId}`)
    await roomItem(bob.page, 'third').waitFor()
    await bob.page.getByTestId('online-user').first().waitFor()
    assert.equal(await roomItem(bob.page, 'third').getByTestId('unread-badge').count(), 0)
    noProblems(alice, bob)
  })

  test('after a reload the history is still there', async () => {
    await bob.page.goto(roomUrl)
    await messages(bob.page).filter({ hasText: 'can you look at the plan' }).waitFor()
    await bob.page.reload()
    await messages(bob.page).filter({ hasText: 'can you look at the plan' }).waitFor({ timeout: 5000 })
    const texts = await messages(bob.page).allInnerTexts()
    assert.equal(texts.length, 3, texts.join('\n---\n'))
    assert.match(texts[0], /<script>window\.__pwned=1<\/script> hello/)
    assert.match(texts[1], /click me/)
    assert.equal(await bob.page.locator('[data-testid="chat-message"] script').count(), 0)
    assert.equal(await bob.page.evaluate(() => typeof window.__pwned), 'undefined')
    // The live socket is authenticated by the cookie alone: no token in its URL.
    const live = sockets.filter((url) => url.endsWith(`/api/v1/workspaces/${workspaceId}/live`))
    assert.ok(live.length >= 1, `a live socket was opened: ${sockets}`)
    assert.ok(sockets.every((url) => !/token/i.test(url)), `no token in WebSocket URLs: ${sockets}`)
    const history = await apiFromPage(bob.page, 'GET', `/api/v1/rooms/${roomId}/messages?limit=10`)
    assert.equal(history.status, 200)
    assert.equal(history.json.length, 3)
    noProblems(alice, bob)
  })
})
