// A document as people leave it: several authors typing at carets that jump
// around the text, with backspaces, each update one burst of edits (a few seconds of typing). Its item
// count (what encoding the state for a joiner walks) is that of a real edited
// file, not that of a few large pastes. Deterministic: every server under test
// gets the same updates in the same order.

import * as Y from 'yjs'

const AUTHORS = 4
const EDITS_PER_UPDATE = 160
const WORDS = ['let', 'const', 'return', 'function', 'if', 'else', 'for', 'value', 'index', 'result',
  'await', 'async', 'import', 'export', 'class', 'this', 'new', 'null', 'true', 'false', '{', '}', '(', ')', ';', '\n  ']

/** A small seeded generator (mulberry32). */
function random (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Edits until the text holds `chars` characters. Returns the updates in the
 * order they were made (`Y.applyUpdate` of each, in order, rebuilds the
 * document), the number of items the final document holds and the size of
 * its whole state.
 */
export function editedHistory (chars, seed = 42) {
  const rng = random(seed)
  // One Y.Doc whose clientID changes with the author: the same document as
  // four docs exchanging updates, without applying each update three times.
  const doc = new Y.Doc()
  const updates = []
  doc.on('update', (update) => updates.push(update))
  const t = doc.getText('monaco')
  const carets = Array.from({ length: AUTHORS }, () => 0)
  while (t.length < chars) {
    for (let a = 0; a < AUTHORS && t.length < chars; a++) {
      doc.clientID = 7000 + a
      doc.transact(() => {
        for (let e = 0; e < EDITS_PER_UPDATE; e++) {
          if (rng() < 0.1 || carets[a] > t.length) carets[a] = Math.floor(rng() * (t.length + 1))
          if (rng() < 0.15 && carets[a] > 0) {
            const n = Math.min(carets[a], 1 + Math.floor(rng() * 8))
            t.delete(carets[a] - n, n)
            carets[a] -= n
          } else {
            const word = WORDS[Math.floor(rng() * WORDS.length)] + ' '
            t.insert(carets[a], word)
            carets[a] += word.length
          }
        }
      })
    }
  }
  let items = 0
  let item = t._start
  while (item !== null) { items++; item = item.right }
  return { updates, items, stateBytes: Y.encodeStateAsUpdate(doc).length }
}
