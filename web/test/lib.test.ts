import { describe, expect, it } from 'vitest'
import { PALETTE, colorFor, cssString, initials, pickColor, safeColor, withAlpha } from '../src/lib/colors'
import { cursorCss } from '../src/lib/cursors'
import { branchOriginCandidates, buildTree, cleanPath, folderMoves, parentFolder } from '../src/lib/tree'
import { timeAgo, toMillis } from '../src/lib/time'
import { doc } from './fakes'

describe('file tree', () => {
  it('builds folders from path prefixes, folders first, sorted', () => {
    const tree = buildTree([doc('1', 'src/main.rs'), doc('2', 'README.md'), doc('3', 'src/lib/a.rs'), doc('4', 'Cargo.toml')])
    expect(tree.children.map((n) => `${n.kind}:${n.name}`)).toEqual(['folder:src', 'file:Cargo.toml', 'file:README.md'])
    const src = tree.children[0]
    expect(src.kind === 'folder' && src.children.map((n) => `${n.kind}:${n.path}`)).toEqual(['folder:src/lib', 'file:src/main.rs'])
  })

  it('moves every document under a folder', () => {
    const docs = [doc('1', 'src/main.rs'), doc('2', 'src/lib/a.rs'), doc('3', 'srcx/b.rs')]
    expect(folderMoves(docs, 'src', 'crates/core/src').map((m) => m.path)).toEqual(['crates/core/src/main.rs', 'crates/core/src/lib/a.rs'])
    expect(folderMoves(docs, 'src/lib', '').map((m) => m.path)).toEqual(['a.rs'])
  })

  it('cleans typed paths and finds parents', () => {
    expect(cleanPath('  /src//main.rs/ ')).toBe('src/main.rs')
    expect(parentFolder('a/b/c.txt')).toBe('a/b')
    expect(parentFolder('c.txt')).toBe('')
  })

  it('reads a branch path back to its origin candidates', () => {
    expect(branchOriginCandidates('src/main@fix.rs')).toEqual(['src/main.rs', 'src/main'])
    expect(branchOriginCandidates('README@x')).toEqual(['README'])
    expect(branchOriginCandidates('notes@v1.2.md')).toContain('notes.md')
    expect(branchOriginCandidates('plain.md')).toEqual([])
  })
})

describe('colours and names', () => {
  it('gives a person a stable palette colour and initials', () => {
    expect(colorFor('user-1')).toBe(colorFor('user-1'))
    expect(PALETTE).toContain(colorFor('someone else'))
    expect(initials('Ada Lovelace')).toBe('AL')
    expect(initials('  grace  ')).toBe('GR')
    expect(initials('')).toBe('?')
    expect(initials('Émile Zola Jr')).toBe('ÉJ')
  })

  it('picks another colour when one is taken', () => {
    expect(pickColor(PALETTE[0], new Set())).toBe(PALETTE[0])
    expect(pickColor(PALETTE[0], new Set([PALETTE[0]]))).toBe(PALETTE[1])
    expect(pickColor(PALETTE[11], new Set([PALETTE[11], PALETTE[0]]))).toBe(PALETTE[1])
  })

  it('keeps remote input out of CSS', () => {
    expect(cssString('Bob "the" \\ builder\n')).toBe('"Bob \\"the\\" \\\\ builder "')
    expect(safeColor('red; background: url(x)', '#000000')).toBe('#000000')
    expect(safeColor('#12ab9F', '#000000')).toBe('#12ab9F')
    expect(withAlpha('#ff0000', 0.5)).toBe('rgba(255, 0, 0, 0.5)')
    const css = cursorCss([{ clientId: 42, name: 'Bob', color: '#1c7ed6' }], new Set([42]))
    expect(css).toContain('.yRemoteSelection-42 { background-color: rgba(28, 126, 214, 0.28); }')
    expect(css).toContain('.yRemoteSelectionHead-42::after { content: "Bob"; background-color: #1c7ed6; opacity: 1; }')
    expect(cursorCss([{ clientId: 7, name: 'Idle', color: '#1c7ed6' }])).toContain('opacity: 0;')
  })
})

describe('times', () => {
  it('reads unix milliseconds and ISO strings', () => {
    expect(toMillis(1700000000000)).toBe(1700000000000)
    expect(toMillis('2023-11-14T22:13:20.000Z')).toBe(1700000000000)
    const now = 1700000000000
    expect(timeAgo(now - 5 * 60_000, now)).toMatch(/5 minutes ago/)
    expect(timeAgo('not a time', now)).toBe('not a time')
  })
})
