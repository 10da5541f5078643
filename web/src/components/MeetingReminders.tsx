// Meeting reminders while the app is open: "{title} starts in N minutes — Join",
// each dismissible (see stores/reminders.ts for when they show).

import { A } from '@solidjs/router'
import { For, Show } from 'solid-js'
import { startsIn } from '../lib/meetingReminders'
import { createReminders, type RemindersOptions } from '../stores/reminders'

export function roomPath (workspaceId: string, roomId: string): string {
  return `/w/${encodeURIComponent(workspaceId)}/r/${encodeURIComponent(roomId)}`
}

export function MeetingReminders (props: { options?: RemindersOptions }) {
  // The options are read once: the store polls for as long as this lives.
  const reminders = createReminders(props.options)
  return (
    <Show when={reminders.showing().length > 0}>
      <div class="toasts" aria-live="polite">
        <For each={reminders.showing()}>
          {(r) => (
            <div class="toast" role="status" data-testid="meeting-reminder" data-meeting-id={r.occurrence.meeting_id}>
              <span>
                <strong>{r.occurrence.title}</strong> {startsIn(r.minutesLeft)} —{' '}
                <A href={roomPath(r.occurrence.workspace_id, r.occurrence.room_id)} onClick={() => reminders.dismiss(r.key)}>Join</A>
              </span>
              <button type="button" class="icon" aria-label={`Dismiss the reminder of ${r.occurrence.title}`}
                onClick={() => reminders.dismiss(r.key)}>×</button>
            </div>
          )}
        </For>
      </div>
    </Show>
  )
}
