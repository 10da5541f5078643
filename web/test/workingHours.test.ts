import { describe, expect, it } from 'vitest'
import { DEFAULT_WORKING_HOURS, minutesOf, normalizeWorkingHours, timeZones, workingHoursProblem } from '../src/lib/workingHours'

describe('working hours', () => {
  it('reads HH:MM, with 24:00 as an end only', () => {
    expect(minutesOf('09:30')).toBe(570)
    expect(minutesOf('24:00')).toBe(1440)
    expect(minutesOf('9:30')).toBeNull()
    expect(minutesOf('24:30')).toBeNull()
    expect(workingHoursProblem({ mon: [['24:00', '24:00']] })).toMatch(/HH:MM/)
  })

  it('accepts the default and split days, and says what is wrong otherwise', () => {
    expect(workingHoursProblem(DEFAULT_WORKING_HOURS)).toBeNull()
    expect(workingHoursProblem({ tue: [['13:00', '17:00'], ['08:00', '12:00']], sat: [['22:00', '24:00']] })).toBeNull()
    expect(workingHoursProblem({ mon: [['17:00', '09:00']] })).toBe('Monday: 17:00–09:00 ends before it starts')
    expect(workingHoursProblem({ wed: [['09:00', '13:00'], ['12:00', '17:00']] })).toBe('Wednesday: intervals overlap')
    expect(workingHoursProblem({ fri: [['01:00', '02:00'], ['03:00', '04:00'], ['05:00', '06:00'], ['07:00', '08:00'], ['09:00', '10:00']] }))
      .toMatch(/at most 4/)
  })

  it('sends only the days worked, sorted', () => {
    expect(normalizeWorkingHours({ mon: [['13:00', '17:00'], ['08:00', '12:00']], tue: [] }))
      .toEqual({ mon: [['08:00', '12:00'], ['13:00', '17:00']] })
  })

  it('lists zones with the user\'s own even when the browser lacks it', () => {
    expect(timeZones()).toContain('UTC')
    expect(timeZones('Mars/Base')[0]).toBe('Mars/Base')
  })
})
