//! Reminder mails: at each of a meeting's reminder minutes before each
//! occurrence, to the organizer and every attendee who has not declined.
//! Occurrences are expanded from the meeting as it is at each pass, so a
//! moved meeting's reminders follow it and a cancelled occurrence or meeting
//! has none. Each reminder is claimed (meeting, occurrence start, minutes)
//! before it is sent: once, across processes and restarts; a reminder that
//! fell due while no process ran goes out late, as long as its occurrence has
//! not started.

use jiff::{SignedDuration, Timestamp};
use reynard_mail::meeting_templates;
use reynard_schedule::Series;
use reynard_store::MeetingRow;

use super::invitations::{call_link, occurrence_text};
use super::stored::series_of;
use crate::state::AppState;

/// How late a reminder may still go out (while its occurrence has not started).
const LATE_BY_AT_MOST: SignedDuration = SignedDuration::from_hours(6);

/// One reminder to send.
struct Due {
    row: usize,
    occurrence: Timestamp,
    when: String,
    minutes: u32,
}

/// Sends the reminders due at `now`; returns how many mails went out.
pub async fn send_due(state: &AppState, now: Timestamp) -> anyhow::Result<usize> {
    let Some(mailer) = state.config.mailer.clone() else { return Ok(0) };
    let rows = state.store.meetings_with_reminders().await?;
    let (rows, due) = tokio::task::spawn_blocking(move || {
        let due = due_reminders(&rows, now);
        (rows, due)
    })
    .await?;
    let mut sent = 0;
    for due in due {
        let row = &rows[due.row];
        let occurrence = due.occurrence.to_string();
        let at = reynard_store::now_millis();
        if !state.store.claim_reminder(&row.id, &occurrence, i64::from(due.minutes), at).await? {
            continue;
        }
        for email in recipients(state, row).await? {
            let mail = meeting_templates::reminder(&email, &row.title, due.minutes, &due.when, &call_link(state, row));
            match mailer.send(&mail).await {
                Ok(()) => sent += 1,
                Err(err) => tracing::warn!(%err, meeting = %row.id, to = %email, "reminder not sent"),
            }
        }
    }
    Ok(sent)
}

/// The reminders of `rows` due in `[now - LATE_BY_AT_MOST, now]` whose
/// occurrence is still ahead.
fn due_reminders(rows: &[MeetingRow], now: Timestamp) -> Vec<Due> {
    let mut series: Vec<(usize, Series, Vec<u32>)> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let minutes: Vec<u32> = serde_json::from_str(&row.reminders).unwrap_or_default();
        match series_of(row) {
            Ok(s) => series.push((index, s, minutes)),
            Err(err) => tracing::warn!(meeting = %row.id, %err, "a stored meeting does not read as a series"),
        }
    }
    let from = now.checked_sub(LATE_BY_AT_MOST).unwrap_or(now);
    let to = now.checked_add(SignedDuration::from_secs(1)).unwrap_or(now);
    let mut out = Vec::new();
    for (index, series, minutes) in &series {
        let entries = [(series, minutes.as_slice())];
        match reynard_schedule::due_reminders(&entries, from, to) {
            Ok(reminders) => out.extend(reminders.into_iter().filter(|r| r.occurrence_start > now).map(|r| Due {
                row: *index,
                occurrence: r.occurrence_start,
                when: occurrence_text(series, series.zone().local(r.occurrence_start)),
                minutes: r.minutes,
            })),
            Err(err) => tracing::warn!(meeting = %series.id(), %err, "reminders not computed"),
        }
    }
    out
}

/// The organizer and the attendees who have not declined.
pub async fn recipients(state: &AppState, row: &MeetingRow) -> anyhow::Result<Vec<String>> {
    let mut emails = Vec::new();
    if let Some(organizer) = state.store.user_by_id(&row.organizer_id).await? {
        emails.push(organizer.email);
    }
    for attendee in &row.attendees {
        if attendee.response != "declined" && !emails.contains(&attendee.email) {
            emails.push(attendee.email.clone());
        }
    }
    Ok(emails)
}
