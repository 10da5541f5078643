//! iMIP mails about meetings: the invitation (`METHOD:REQUEST`) with signed
//! RSVP links, the update (same UID, higher `SEQUENCE`), and the cancellation
//! (`METHOD:CANCEL`) of the meeting or of one occurrence. They go out in the
//! background: a slow SMTP server never delays the request that changed the
//! meeting; failures are logged.

use jiff::Timestamp;
use jiff::civil::DateTime;
use reynard_mail::meeting_templates::{self, InvitationKind, InvitationMail, RsvpLinks};
use reynard_mail::{Mail, Mailer};
use reynard_schedule::{Invitation, Invitee, Method, PartStat, Person, Series};
use reynard_store::MeetingRow;

use crate::state::AppState;

/// `{public_url}/w/{workspace}/r/{room}`: the meeting's room and call.
pub fn call_link(state: &AppState, row: &MeetingRow) -> String {
    format!("{}/w/{}/r/{}", state.config.public_url, row.workspace_id, row.room_id)
}

/// `{public_url}/rsvp/{token}`: answers for `email` without signing in.
pub fn rsvp_link(state: &AppState, meeting: &str, email: &str) -> String {
    format!("{}/rsvp/{}", state.config.public_url, state.signing_key.rsvp_token(meeting, email))
}

/// "Tue 20 Oct 2026, 09:30–10:00 (Europe/London)", and how it repeats.
pub fn when_text(series: &Series) -> String {
    let start = series.start();
    let end = series.end();
    let end_text = if end.date() == start.date() {
        end.strftime("%H:%M").to_string()
    } else {
        end.strftime("%a %-d %b %Y, %H:%M").to_string()
    };
    let mut text = format!("{}–{end_text} ({})", start.strftime("%a %-d %b %Y, %H:%M"), series.zone().name());
    if let Some(rule) = series.rule() {
        text.push_str(&format!(", repeating ({rule})"));
    }
    text
}

/// An occurrence's local start as mails show it.
pub fn occurrence_text(series: &Series, occurrence: DateTime) -> String {
    format!("{} ({})", occurrence.strftime("%a %-d %b %Y, %H:%M"), series.zone().name())
}

fn partstat(response: &str) -> PartStat {
    match response {
        "accepted" => PartStat::Accepted,
        "declined" => PartStat::Declined,
        "tentative" => PartStat::Tentative,
        _ => PartStat::NeedsAction,
    }
}

/// The organizer and the attendees of a meeting, as iCalendar people.
#[derive(Debug)]
pub struct Parties {
    pub organizer: Person,
    pub attendees: Vec<Invitee>,
}

/// Who organizes `row` (their name from their account) and who is invited.
pub async fn parties(state: &AppState, row: &MeetingRow) -> anyhow::Result<Parties> {
    let organizer = state.store.user_by_id(&row.organizer_id).await?;
    let organizer = match organizer {
        Some(user) => Person { email: user.email, name: Some(user.name) },
        None => Person { email: format!("organizer-{}@invalid", row.organizer_id), name: None },
    };
    let attendees = row
        .attendees
        .iter()
        .filter(|a| a.email != organizer.email)
        .map(|a| Invitee {
            person: Person { email: a.email.clone(), name: None },
            partstat: partstat(&a.response),
            required: true,
        })
        .collect();
    Ok(Parties { organizer, attendees })
}

fn ics(
    row: &MeetingRow,
    series: &Series,
    parties: &Parties,
    method: Method,
    occurrence: Option<DateTime>,
) -> anyhow::Result<String> {
    let invitation = Invitation {
        series,
        method,
        uid: &row.uid,
        sequence: u32::try_from(row.sequence).unwrap_or(u32::MAX),
        dtstamp: Timestamp::now(),
        organizer: &parties.organizer,
        attendees: &parties.attendees,
        occurrence,
    };
    Ok(reynard_schedule::to_ics(&invitation)?)
}

/// Mails a REQUEST to each of `emails` (attendees of `row`): a new invitation,
/// or an update (the meeting as it now is).
pub async fn send_requests(state: &AppState, row: &MeetingRow, emails: &[String], kind: InvitationKind) {
    let Some(mailer) = state.config.mailer.clone() else { return };
    if emails.is_empty() {
        return;
    }
    let mails = match request_mails(state, row, emails, kind).await {
        Ok(mails) => mails,
        Err(err) => {
            tracing::error!(meeting = %row.id, %err, "cannot write the invitations");
            return;
        }
    };
    send_all(mailer, mails);
}

async fn request_mails(
    state: &AppState,
    row: &MeetingRow,
    emails: &[String],
    kind: InvitationKind,
) -> anyhow::Result<Vec<Mail>> {
    let series = super::stored::series_of(row)?;
    let parties = parties(state, row).await?;
    let body = ics(row, &series, &parties, Method::Request, None)?;
    let organizer = parties.organizer.name.clone().unwrap_or_else(|| parties.organizer.email.clone());
    let when = when_text(&series);
    let call = call_link(state, row);
    Ok(emails
        .iter()
        .map(|email| {
            let link = rsvp_link(state, &row.id, email);
            let links = RsvpLinks {
                accept: format!("{link}?response=accepted"),
                tentative: format!("{link}?response=tentative"),
                decline: format!("{link}?response=declined"),
            };
            meeting_templates::invitation(&InvitationMail {
                to: email,
                organizer_name: &organizer,
                title: &row.title,
                when: &when,
                call_link: &call,
                rsvp: Some(&links),
                ics: &body,
                kind,
            })
        })
        .collect())
}

/// Mails a CANCEL for the whole meeting, or for one occurrence, to `emails`.
pub async fn send_cancellations(state: &AppState, row: &MeetingRow, emails: &[String], occurrence: Option<DateTime>) {
    let Some(mailer) = state.config.mailer.clone() else { return };
    if emails.is_empty() {
        return;
    }
    let mails = async {
        let series = super::stored::series_of(row)?;
        let parties = parties(state, row).await?;
        // A cancelled occurrence is an EXDATE of the series by now; its CANCEL
        // names it by RECURRENCE-ID.
        let body = ics(row, &series, &parties, Method::Cancel, occurrence)?;
        let organizer = parties.organizer.name.clone().unwrap_or_else(|| parties.organizer.email.clone());
        let occurrence_text = occurrence.map(|key| occurrence_text(&series, key));
        anyhow::Ok(
            emails
                .iter()
                .map(|email| {
                    meeting_templates::cancellation(email, &organizer, &row.title, occurrence_text.as_deref(), &body)
                })
                .collect::<Vec<_>>(),
        )
    }
    .await;
    match mails {
        Ok(mails) => send_all(mailer, mails),
        Err(err) => tracing::error!(meeting = %row.id, %err, "cannot write the cancellations"),
    }
}

fn send_all(mailer: Mailer, mails: Vec<Mail>) {
    tokio::spawn(async move {
        for mail in mails {
            if let Err(err) = mailer.send(&mail).await {
                tracing::warn!(%err, to = %mail.to, subject = %mail.subject, "meeting mail not sent");
            }
        }
    });
}

/// Attendee emails of `row` other than the organizer's.
pub fn invitees(row: &MeetingRow, organizer_email: &str) -> Vec<String> {
    row.attendees.iter().map(|a| a.email.clone()).filter(|e| e != organizer_email).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reynard_schedule::SeriesInput;

    #[test]
    fn when_text_names_the_zone_and_the_rule() {
        let input = SeriesInput {
            title: "Standup".to_owned(),
            description: None,
            start: "2026-10-20T09:30".to_owned(),
            end: "2026-10-20T10:00".to_owned(),
            time_zone: "Europe/London".to_owned(),
            rrule: Some("FREQ=WEEKLY;COUNT=3".to_owned()),
        };
        let series = Series::from_input("m", &input).unwrap();
        assert_eq!(when_text(&series), "Tue 20 Oct 2026, 09:30–10:00 (Europe/London), repeating (FREQ=WEEKLY;COUNT=3)");
    }
}
