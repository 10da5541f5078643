import { describe, expect, it } from 'vitest'
import { buildRrule, describeRrule, parseRrule, recurrenceProblem, weekdayCodeOf, type Recurrence } from '../src/lib/recurrence'

const never = { kind: 'never' } as const

describe('the RRULE builder', () => {
  const cases: Array<[string, Recurrence, string | null]> = [
    ['no repetition', { frequency: 'none', weekdays: ['MO'], end: { kind: 'count', count: 3 } }, null],
    ['every day', { frequency: 'daily', weekdays: [], end: never }, 'FREQ=DAILY'],
    ['weekdays', { frequency: 'weekdays', weekdays: [], end: never }, 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'],
    ['weekly on chosen days, in week order, 10 times', { frequency: 'weekly', weekdays: ['WE', 'MO'], end: { kind: 'count', count: 10 } },
      'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10'],
    ['monthly until a date', { frequency: 'monthly', weekdays: [], end: { kind: 'until', date: '2027-03-31' } }, 'FREQ=MONTHLY;UNTIL=20270331'],
    ['daily after one time', { frequency: 'daily', weekdays: [], end: { kind: 'count', count: 1 } }, 'FREQ=DAILY;COUNT=1']
  ]
  for (const [name, recurrence, rule] of cases) {
    it(name, () => {
      expect(buildRrule(recurrence, '2026-10-20')).toBe(rule)
    })
  }

  it('repeats weekly on the start\'s weekday when no day is chosen', () => {
    expect(weekdayCodeOf('2026-10-20')).toBe('TU')
    expect(buildRrule({ frequency: 'weekly', weekdays: [], end: never }, '2026-10-20')).toBe('FREQ=WEEKLY;BYDAY=TU')
    expect(buildRrule({ frequency: 'weekly', weekdays: [], end: never })).toBe('FREQ=WEEKLY')
  })

  it('says what is wrong before saving', () => {
    expect(recurrenceProblem({ frequency: 'daily', weekdays: [], end: { kind: 'count', count: 0 } })).toMatch(/from 1 to/)
    expect(recurrenceProblem({ frequency: 'daily', weekdays: [], end: { kind: 'count', count: 2.5 } })).toMatch(/from 1 to/)
    expect(recurrenceProblem({ frequency: 'daily', weekdays: [], end: { kind: 'until', date: '' } })).toMatch(/date/)
    expect(recurrenceProblem({ frequency: 'daily', weekdays: [], end: { kind: 'until', date: '2026-10-01' } }, '2026-10-20')).toMatch(/before/)
    expect(recurrenceProblem({ frequency: 'none', weekdays: [], end: { kind: 'count', count: 0 } })).toBeNull()
    expect(recurrenceProblem({ frequency: 'weekly', weekdays: ['FR'], end: { kind: 'until', date: '2026-12-31' } }, '2026-10-20')).toBeNull()
  })

  it('reads back what it writes, and the server\'s canonical order', () => {
    const recurrences: Recurrence[] = [
      { frequency: 'none', weekdays: [], end: never },
      { frequency: 'daily', weekdays: [], end: { kind: 'until', date: '2026-12-31' } },
      { frequency: 'weekdays', weekdays: [], end: { kind: 'count', count: 5 } },
      { frequency: 'weekly', weekdays: ['MO', 'WE'], end: { kind: 'count', count: 10 } },
      { frequency: 'monthly', weekdays: [], end: never }
    ]
    for (const r of recurrences) expect(parseRrule(buildRrule(r, '2026-10-19'))).toEqual(r)
    expect(parseRrule('FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE')).toEqual({ frequency: 'weekly', weekdays: ['MO', 'WE'], end: { kind: 'count', count: 10 } })
    expect(parseRrule('FREQ=DAILY;UNTIL=20261022T083000Z')).toEqual({ frequency: 'daily', weekdays: [], end: { kind: 'until', date: '2026-10-22' } })
  })

  it('leaves rules the picker cannot show alone', () => {
    expect(parseRrule('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO')).toBeNull()
    expect(parseRrule('FREQ=MONTHLY;BYDAY=2TU')).toBeNull()
    expect(parseRrule('FREQ=YEARLY')).toBeNull()
    expect(parseRrule('nonsense')).toBeNull()
  })

  it('says a rule in words', () => {
    expect(describeRrule(null)).toBe('Does not repeat')
    expect(describeRrule('FREQ=DAILY')).toBe('Every day')
    expect(describeRrule('FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10')).toBe('Weekly on Monday and Wednesday, 10 times')
    expect(describeRrule('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR')).toBe('Every weekday (Monday to Friday)')
    expect(describeRrule('FREQ=MONTHLY;COUNT=1')).toBe('Monthly, once')
    expect(describeRrule('FREQ=MONTHLY;UNTIL=20270331', 'en-GB')).toBe('Monthly, until 31 Mar 2027')
    expect(describeRrule('FREQ=YEARLY;BYMONTH=3')).toBe('Repeats (FREQ=YEARLY;BYMONTH=3)')
  })
})
