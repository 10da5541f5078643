// Emails as chips: typed and turned into a chip by Enter, a comma or leaving
// the box (pasting "a@x.org, b@y.org" makes two); Backspace in the empty box
// removes the last one.

import { For, Show, createSignal } from 'solid-js'

/** Whether `text` looks like an email address (the server checks it properly). */
export function looksLikeEmail (text: string): boolean {
  return /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/.test(text)
}

/** The addresses in `text` (split at commas, semicolons and spaces), trimmed and lower-cased. */
export function splitEmails (text: string): string[] {
  return text.split(/[,;\s]+/).map((e) => e.trim().toLowerCase()).filter(Boolean)
}

export interface AttendeeInputProps {
  emails: string[]
  onChange: (emails: string[]) => void
  disabled?: boolean
  /** The label's id (the box is labelled by it). */
  labelId?: string
}

export function AttendeeInput (props: AttendeeInputProps) {
  const [text, setText] = createSignal('')
  const [problem, setProblem] = createSignal<string | null>(null)

  /** Turns what is typed into chips; keeps what is not an email in the box. */
  const commit = () => {
    const typed = splitEmails(text())
    if (typed.length === 0) {
      setText('')
      return
    }
    const bad = typed.filter((e) => !looksLikeEmail(e))
    const good = typed.filter((e) => looksLikeEmail(e) && !props.emails.includes(e))
    if (good.length > 0) props.onChange([...props.emails, ...new Set(good)])
    setText(bad.join(', '))
    setProblem(bad.length > 0 ? `Not an email address: ${bad.join(', ')}` : null)
  }

  const remove = (email: string) => props.onChange(props.emails.filter((e) => e !== email))

  return (
    <div class="chips-box">
      <ul class="chips" aria-label="Attendees">
        <For each={props.emails}>
          {(email) => (
            <li class="chip" data-testid="attendee-chip" data-email={email}>
              <span>{email}</span>
              <button type="button" class="icon" aria-label={`Remove ${email}`} disabled={props.disabled}
                onClick={() => remove(email)}>×</button>
            </li>
          )}
        </For>
        <li class="chip-input">
          <input
            type="text"
            data-testid="attendee-input"
            aria-labelledby={props.labelId}
            placeholder={props.emails.length ? 'Add another…' : 'name@example.org, …'}
            autocomplete="off"
            disabled={props.disabled}
            value={text()}
            onInput={(e) => {
              const value = e.currentTarget.value
              setText(value)
              if (/[,;]/.test(value)) commit()
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault()
                commit()
              } else if (e.key === 'Backspace' && text() === '' && props.emails.length > 0) {
                remove(props.emails[props.emails.length - 1])
              }
            }}
            onBlur={commit}
          />
        </li>
      </ul>
      <Show when={problem()}><p class="field-problem" role="alert">{problem()}</p></Show>
    </div>
  )
}
