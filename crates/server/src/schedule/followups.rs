//! Follow-up mails after each occurrence ends: who joined the meeting's call
//! and for how long, the room's chat during the meeting, and the workspace's
//! documents edited meanwhile. To the organizer and the attendees who did not
//! decline, except users who turned follow-ups off on their profile. Each
//! occurrence's follow-up is claimed before it is sent (once across processes
//! and restarts); occurrences that ended more than a day ago are left alone.

use jiff::{SignedDuration, Timestamp};
use reynard_mail::meeting_templates::{self, Followup};
use reynard_schedule::{Series, Zone};
use reynard_store::MeetingRow;

use super::invitations::{call_link, occurrence_text};
use super::reminders::recipients;
use super::stored::series_of;
use crate::state::AppState;

/// How long after its end an occurrence still gets a follow-up.
const AT_MOST_AFTER: SignedDuration = SignedDuration::from_hours(24);
/// Chat messages one follow-up reads at most (the mail shows the first 200 and counts the rest).
const MAX_CHAT_LINES: i64 = 2_000;

/// An occurrence that ended.
struct Ended {
    row: usize,
    recurrence_id: String,
    when: String,
    start: Timestamp,
    end: Timestamp,
}

/// Sends the follow-ups of occurrences that ended by `now`; returns how many
/// mails went out.
pub async fn send_due(state: &AppState, now: Timestamp) -> anyhow::Result<usize> {
    let Some(mailer) = state.config.mailer.clone() else { return Ok(0) };
    let rows = state.store.live_meetings().await?;
    let (rows, ended) = tokio::task::spawn_blocking(move || {
        let ended = ended_occurrences(&rows, now);
        (rows, ended)
    })
    .await?;
    let mut sent = 0;
    for ended in ended {
        let row = &rows[ended.row];
        if !state.store.claim_followup(&row.id, &ended.recurrence_id, reynard_store::now_millis()).await? {
            continue;
        }
        let followup = gather(state, row, &ended).await?;
        let emails = recipients(state, row).await?;
        let opted_out: Vec<String> = state
            .store
            .users_by_email(&emails)
            .await?
            .into_iter()
            .filter(|(_, _, profile)| !profile.followups)
            .map(|(_, email, _)| email)
            .collect();
        for email in emails.iter().filter(|e| !opted_out.contains(e)) {
            let mail = meeting_templates::followup(email, &followup);
            match mailer.send(&mail).await {
                Ok(()) => sent += 1,
                Err(err) => tracing::warn!(%err, meeting = %row.id, to = %email, "follow-up not sent"),
            }
        }
    }
    Ok(sent)
}

/// What happened during one occurrence.
async fn gather(state: &AppState, row: &MeetingRow, ended: &Ended) -> anyhow::Result<Followup> {
    let (from, to) = (ended.start.as_millisecond(), ended.end.as_millisecond());
    let attendance = state
        .store
        .attendance(&row.room_id, from, to)
        .await?
        .into_iter()
        .map(|a| (a.name, u64::try_from(a.joined_ms).unwrap_or(0).div_ceil(60_000)))
        .collect();
    let zone = Zone::new(&row.time_zone).unwrap_or_else(|_| Zone::utc());
    let chat = state
        .store
        .chat_between(&row.room_id, from, to, MAX_CHAT_LINES)
        .await?
        .into_iter()
        .map(|(author, at, text)| {
            let at = Timestamp::from_millisecond(at).unwrap_or(ended.start);
            (author, zone.local(at).strftime("%H:%M").to_string(), text)
        })
        .collect();
    let public = &state.config.public_url;
    let documents = state
        .store
        .documents_edited_between(&row.workspace_id, from, to)
        .await?
        .into_iter()
        .map(|(id, title)| (title, format!("{public}/w/{}/d/{id}", row.workspace_id)))
        .collect();
    Ok(Followup {
        title: row.title.clone(),
        when: ended.when.clone(),
        attendance,
        chat,
        documents,
        call_link: call_link(state, row),
        profile_link: format!("{public}/profile"),
    })
}

/// Occurrences of `rows` that ended in `(now - AT_MOST_AFTER, now]`, after
/// their meeting was made.
fn ended_occurrences(rows: &[MeetingRow], now: Timestamp) -> Vec<Ended> {
    let mut out = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let series: Series = match series_of(row) {
            Ok(series) => series,
            Err(err) => {
                tracing::warn!(meeting = %row.id, %err, "a stored meeting does not read as a series");
                continue;
            }
        };
        let Ok(longest) = series.duration() else { continue };
        // Overrides may lengthen an occurrence: look back a day further.
        let from = now.checked_sub(AT_MOST_AFTER + longest + SignedDuration::from_hours(24)).unwrap_or(now);
        let created = Timestamp::from_millisecond(row.created_at).unwrap_or(Timestamp::UNIX_EPOCH);
        let occurrences = match series.expand(from, now, series.zone()) {
            Ok(occurrences) => occurrences,
            Err(err) => {
                tracing::warn!(meeting = %row.id, %err, "occurrences not expanded");
                continue;
            }
        };
        for occurrence in occurrences {
            let interval = occurrence.interval();
            let recent = interval.end <= now && now.duration_since(interval.end) < AT_MOST_AFTER;
            if recent && interval.end > created {
                out.push(Ended {
                    row: index,
                    recurrence_id: occurrence.recurrence_id.to_string(),
                    when: occurrence_text(&series, series.zone().local(interval.start)),
                    start: interval.start,
                    end: interval.end,
                });
            }
        }
    }
    out
}
