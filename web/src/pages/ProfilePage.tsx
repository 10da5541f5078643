// `/profile`: one's time zone, working hours per weekday (the slot finder
// proposes meetings inside them, in one's own zone), whether meeting
// follow-up mails are wanted, and the calendar feed address.

import { For, Show, createSignal, onMount } from 'solid-js'
import { api, browserTimeZone, errorMessage } from '../api'
import { CalendarFeedSection } from '../components/CalendarFeedSection'
import { ErrorText } from '../components/Feedback'
import { useAuth } from '../context'
import {
  DAYS,
  DAY_NAMES,
  DEFAULT_WORKING_HOURS,
  MAX_INTERVALS,
  normalizeWorkingHours,
  timeZones,
  workingHoursProblem,
  type Day,
  type WorkingHours
} from '../lib/workingHours'

export function ProfilePage () {
  const auth = useAuth()
  const [zone, setZone] = createSignal(auth.user()?.time_zone ?? 'UTC')
  const [hours, setHours] = createSignal<WorkingHours>(DEFAULT_WORKING_HOURS)
  const [followups, setFollowups] = createSignal(true)
  const [error, setError] = createSignal<string | null>(null)
  const [saved, setSaved] = createSignal(false)
  const [saving, setSaving] = createSignal(false)

  onMount(async () => {
    try {
      const me = await api.auth.me()
      setZone(me.time_zone ?? 'UTC')
      if (me.working_hours) setHours(me.working_hours as WorkingHours)
      if (me.followups !== undefined) setFollowups(me.followups)
    } catch (err) {
      setError(errorMessage(err))
    }
  })

  const edit = (day: Day, index: number, end: 0 | 1, value: string) => {
    setSaved(false)
    setHours((prev) => {
      const intervals = [...(prev[day] ?? [])].map((i) => [...i] as [string, string])
      intervals[index][end] = value
      return { ...prev, [day]: intervals }
    })
  }
  const add = (day: Day) => {
    setSaved(false)
    setHours((prev) => ({ ...prev, [day]: [...(prev[day] ?? []), ['09:00', '17:00'] as [string, string]] }))
  }
  const remove = (day: Day, index: number) => {
    setSaved(false)
    setHours((prev) => ({ ...prev, [day]: (prev[day] ?? []).filter((_, i) => i !== index) }))
  }
  const problem = () => workingHoursProblem(hours())

  const save = async (e: Event) => {
    e.preventDefault()
    if (problem()) return
    setSaving(true)
    setError(null)
    try {
      await api.auth.updateMe({ time_zone: zone(), working_hours: normalizeWorkingHours(hours()), followups: followups() })
      await auth.check()
      setSaved(true)
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setSaving(false)
    }
  }

  const detected = browserTimeZone()
  return (
    <div class="page narrow" data-testid="profile-page">
      <h1>Your profile</h1>
      <form class="stack" onSubmit={save}>
        <label>
          <span>Time zone</span>
          <select data-testid="profile-time-zone" value={zone()} onChange={(e) => { setZone(e.currentTarget.value); setSaved(false) }}>
            <For each={timeZones(zone())}>{(z) => <option value={z}>{z}</option>}</For>
          </select>
        </label>
        <Show when={detected && detected !== zone()}>
          <p class="small-text muted">
            This browser is in {detected}.{' '}
            <button type="button" class="link" onClick={() => { setZone(detected ?? 'UTC'); setSaved(false) }}>Use it</button>
          </p>
        </Show>
        <fieldset class="working-hours" data-testid="working-hours">
          <legend>Working hours (in your time zone)</legend>
          <For each={DAYS}>
            {(day) => (
              <div class="working-day" data-day={day}>
                <span class="working-day-name">{DAY_NAMES[day]}</span>
                <Show when={(hours()[day] ?? []).length > 0} fallback={<span class="muted small-text">Not working</span>}>
                  <For each={hours()[day] ?? []}>
                    {(interval, i) => (
                      <span class="working-interval">
                        <input type="time" aria-label={`${DAY_NAMES[day]} from`} value={interval[0]}
                          onInput={(e) => edit(day, i(), 0, e.currentTarget.value)} />
                        –
                        <input type="time" aria-label={`${DAY_NAMES[day]} until`} value={interval[1] === '24:00' ? '23:59' : interval[1]}
                          onInput={(e) => edit(day, i(), 1, e.currentTarget.value === '23:59' ? '24:00' : e.currentTarget.value)} />
                        <button type="button" class="secondary small" aria-label={`Remove ${DAY_NAMES[day]} ${interval[0]}–${interval[1]}`}
                          onClick={() => remove(day, i())}>×</button>
                      </span>
                    )}
                  </For>
                </Show>
                <Show when={(hours()[day] ?? []).length < MAX_INTERVALS}>
                  <button type="button" class="secondary small" onClick={() => add(day)}>Add hours</button>
                </Show>
              </div>
            )}
          </For>
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={followups()} onChange={(e) => { setFollowups(e.currentTarget.checked); setSaved(false) }} />
          <span>Mail me a follow-up after meetings (who joined, the chat, documents edited)</span>
        </label>
        <ErrorText message={problem() ?? error()} />
        <div class="row-gap">
          <button type="submit" data-testid="profile-save" disabled={saving() || !!problem()}>Save</button>
          <Show when={saved()}><span class="muted" role="status">Saved.</span></Show>
        </div>
      </form>
      <CalendarFeedSection />
    </div>
  )
}
