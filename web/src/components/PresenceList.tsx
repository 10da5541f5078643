// Who is in the document: initials in each person's colour, their name, and
// whether they are idle. Updates live from the awareness states.

import { For, Show } from 'solid-js'
import { initials } from '../lib/colors'
import type { Person } from '../stores/collab'

export function PresenceList (props: { people: readonly Person[] }) {
  const label = () => {
    const n = props.people.length
    return n === 1 ? '1 person in this document' : `${n} people in this document`
  }
  return (
    <div class="presence" aria-label={label()} role="group">
      <ul class="presence-list" data-testid="presence-list">
        <For each={props.people}>
          {(person) => (
            <li
              class="presence-user"
              classList={{ idle: person.idle, self: person.self }}
              data-testid="presence-user"
              data-user-id={person.userId}
              data-idle={person.idle ? 'true' : 'false'}
              title={`${person.name}${person.self ? ' (you)' : ''}${person.idle ? ' — idle' : ' — active'}`}
            >
              <span class="avatar" style={{ 'background-color': person.color }} aria-hidden="true">{initials(person.name)}</span>
              <span class="presence-name">
                {person.name}
                <Show when={person.self}><span class="muted"> (you)</span></Show>
                <Show when={person.idle}><span class="muted"> · idle</span></Show>
              </span>
            </li>
          )}
        </For>
      </ul>
    </div>
  )
}
