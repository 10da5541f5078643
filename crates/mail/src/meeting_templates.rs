//! The mails about meetings: invitations (new or updated, with their RSVP
//! links and an iCalendar REQUEST), cancellations (an iCalendar CANCEL),
//! reminders and follow-ups after an occurrence. Plain text with every link
//! on a line of its own; the calendar part is an alternative of the same mail.

use crate::Mail;

/// Content type of the calendar part of an invitation.
pub const REQUEST_CONTENT_TYPE: &str = "text/calendar; method=REQUEST; charset=utf-8";
/// Content type of the calendar part of a cancellation.
pub const CANCEL_CONTENT_TYPE: &str = "text/calendar; method=CANCEL; charset=utf-8";
/// Chat lines a follow-up lists before it only counts the rest.
pub const MAX_FOLLOWUP_CHAT_LINES: usize = 200;

/// The links through which an attendee answers an invitation without signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsvpLinks {
    pub accept: String,
    pub tentative: String,
    pub decline: String,
}

/// What happened during one occurrence of a meeting, as its follow-up tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followup {
    pub title: String,
    /// The occurrence, as people read it ("Tuesday 20 October 2026, 09:30–10:00 (Europe/Paris)").
    pub when: String,
    /// Who joined the call, with the minutes they spent in it.
    pub attendance: Vec<(String, u64)>,
    /// The room's chat during the meeting, oldest first: author, time of day, text.
    pub chat: Vec<(String, String, String)>,
    /// Documents edited during the meeting: title, link.
    pub documents: Vec<(String, String)>,
    pub call_link: String,
    /// The profile page, where follow-ups are turned off.
    pub profile_link: String,
}

/// Whether an invitation is the first about its meeting or an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationKind {
    New,
    Update,
}

/// What an invitation says.
#[derive(Debug, Clone, Copy)]
pub struct InvitationMail<'a> {
    pub to: &'a str,
    pub organizer_name: &'a str,
    pub title: &'a str,
    /// When, as people read it.
    pub when: &'a str,
    pub call_link: &'a str,
    pub rsvp: Option<&'a RsvpLinks>,
    /// The iCalendar REQUEST, the mail's calendar part.
    pub ics: &'a str,
    pub kind: InvitationKind,
}

/// An invitation to a meeting, or (an update) the meeting as it now is.
pub fn invitation(mail: &InvitationMail<'_>) -> Mail {
    let InvitationMail { to, organizer_name, title, when, call_link, rsvp, ics, kind } = *mail;
    let (subject, opening) = match kind {
        InvitationKind::Update => {
            (format!("Updated invitation: {title}"), format!("{organizer_name} updated the meeting \"{title}\"."))
        }
        InvitationKind::New => {
            (format!("Invitation: {title}"), format!("{organizer_name} invited you to the meeting \"{title}\"."))
        }
    };
    let mut text = format!(
        "Hello,\n\n\
         {opening}\n\n\
         When:\n{when}\n\n\
         Join the call:\n{call_link}\n"
    );
    if let Some(links) = rsvp {
        text.push_str(&format!(
            "\nWill you come? Open one of these links to answer:\n\n\
             Accept:\n{}\n\n\
             Maybe:\n{}\n\n\
             Decline:\n{}\n",
            links.accept, links.tentative, links.decline
        ));
    }
    text.push_str("\nThe attached invitation adds the meeting to your calendar.\n");
    Mail::text(to, subject, text).with_alternative(REQUEST_CONTENT_TYPE, ics)
}

/// The cancellation of a whole meeting, or of the one `occurrence` (as people
/// read it), with the iCalendar CANCEL `ics` as its calendar part.
pub fn cancellation(to: &str, organizer_name: &str, title: &str, occurrence: Option<&str>, ics: &str) -> Mail {
    let (subject, what) = match occurrence {
        Some(occurrence) => (
            format!("Cancelled: {title} on {occurrence}"),
            format!(
                "{organizer_name} cancelled the meeting \"{title}\" on {occurrence}. Other occurrences stay as they were."
            ),
        ),
        None => (format!("Cancelled: {title}"), format!("{organizer_name} cancelled the meeting \"{title}\".")),
    };
    let text = format!(
        "Hello,\n\n\
         {what}\n\n\
         The attached cancellation removes it from your calendar.\n"
    );
    Mail::text(to, subject, text).with_alternative(CANCEL_CONTENT_TYPE, ics)
}

/// A reminder `minutes` before a meeting starts.
pub fn reminder(to: &str, title: &str, minutes: u32, when: &str, call_link: &str) -> Mail {
    let starts_in = if minutes == 1 { "1 minute".to_owned() } else { format!("{minutes} minutes") };
    Mail::text(
        to,
        format!("Reminder: {title} starts in {starts_in}"),
        format!(
            "Hello,\n\n\
             the meeting \"{title}\" starts in {starts_in}.\n\n\
             When:\n{when}\n\n\
             Join the call:\n{call_link}\n"
        ),
    )
}

/// The follow-up of one occurrence: who joined the call, the chat, the
/// documents edited, and where to turn follow-ups off.
pub fn followup(to: &str, followup: &Followup) -> Mail {
    let Followup { title, when, attendance, chat, documents, call_link, profile_link } = followup;
    let mut text = format!("Hello,\n\nthis is what happened during \"{title}\" ({when}).\n\nWho joined the call\n");
    if attendance.is_empty() {
        text.push_str("Nobody joined the call.\n");
    }
    for (name, minutes) in attendance {
        text.push_str(&format!("{name} — {minutes} min\n"));
    }

    text.push_str("\nChat during the meeting\n");
    if chat.is_empty() {
        text.push_str("Nobody wrote in the chat.\n");
    }
    for (author, time, line) in chat.iter().take(MAX_FOLLOWUP_CHAT_LINES) {
        // One message, one line: a message's own line breaks would read as
        // further messages.
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        text.push_str(&format!("{time} {author}: {line}\n"));
    }
    if chat.len() > MAX_FOLLOWUP_CHAT_LINES {
        text.push_str(&format!("… and {} more\n", chat.len() - MAX_FOLLOWUP_CHAT_LINES));
    }

    text.push_str("\nDocuments edited\n");
    if documents.is_empty() {
        text.push_str("No document was edited.\n");
    }
    for (document, link) in documents {
        text.push_str(&format!("{document}\n{link}\n"));
    }

    text.push_str(&format!(
        "\nThe meeting's call and room:\n{call_link}\n\n\
         You can turn follow-ups off on your profile page:\n{profile_link}\n"
    ));
    Mail::text(to, format!("Follow-up: {title}"), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ICS_REQUEST: &str = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
    const ICS_CANCEL: &str = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n";
    const CALL: &str = "https://team.example/w/ws1/rooms/r1/call";

    fn has_line(mail: &Mail, line: &str) -> bool {
        mail.text.lines().any(|l| l == line)
    }

    fn links() -> RsvpLinks {
        RsvpLinks {
            accept: "https://team.example/rsvp/tok?response=accepted".to_owned(),
            tentative: "https://team.example/rsvp/tok?response=tentative".to_owned(),
            decline: "https://team.example/rsvp/tok?response=declined".to_owned(),
        }
    }

    #[test]
    fn invitations_carry_when_the_links_and_a_request() {
        let when = "Tuesday 20 October 2026, 09:30–10:00 (Europe/Paris)";
        let links = links();
        let mail = invitation(&InvitationMail {
            to: "bob@example.org",
            organizer_name: "Ada",
            title: "Weekly sync",
            when,
            call_link: CALL,
            rsvp: Some(&links),
            ics: ICS_REQUEST,
            kind: InvitationKind::New,
        });
        assert_eq!(mail.to, "bob@example.org");
        assert_eq!(mail.subject, "Invitation: Weekly sync");
        for line in [when, CALL, &links.accept, &links.tentative, &links.decline] {
            assert!(has_line(&mail, line), "{line:?} on its own line in:\n{}", mail.text);
        }
        assert!(mail.text.contains("Ada invited you"), "{}", mail.text);
        assert_eq!(mail.alternatives.len(), 1);
        assert_eq!(mail.alternatives[0].content_type, "text/calendar; method=REQUEST; charset=utf-8");
        assert!(mail.alternatives[0].body.contains("METHOD:REQUEST"));
        let from = crate::message::parse_mailbox("Reynard <reynard@localhost>").unwrap();
        assert!(mail.to_message(&from).is_ok(), "the calendar part's content type is one lettre accepts");

        let update = invitation(&InvitationMail {
            to: "bob@example.org",
            organizer_name: "Ada",
            title: "Weekly sync",
            when,
            call_link: CALL,
            rsvp: None,
            ics: ICS_REQUEST,
            kind: InvitationKind::Update,
        });
        assert_eq!(update.subject, "Updated invitation: Weekly sync");
        assert!(update.text.contains("Ada updated"), "{}", update.text);
        assert!(!update.text.contains("rsvp"), "no RSVP links without them: {}", update.text);
        assert_eq!(update.alternatives[0].content_type, REQUEST_CONTENT_TYPE);
    }

    #[test]
    fn cancellations_name_the_occurrence_and_carry_a_cancel() {
        let whole = cancellation("bob@example.org", "Ada", "Weekly sync", None, ICS_CANCEL);
        assert_eq!(whole.subject, "Cancelled: Weekly sync");
        assert!(whole.text.contains("Ada cancelled"), "{}", whole.text);
        assert_eq!(whole.alternatives[0].content_type, "text/calendar; method=CANCEL; charset=utf-8");
        assert!(whole.alternatives[0].body.contains("METHOD:CANCEL"));

        let one = cancellation("bob@example.org", "Ada", "Weekly sync", Some("Tuesday 27 October 2026"), ICS_CANCEL);
        assert_eq!(one.subject, "Cancelled: Weekly sync on Tuesday 27 October 2026");
        assert!(one.text.contains("Other occurrences stay"), "{}", one.text);
        assert_eq!(one.alternatives[0].content_type, CANCEL_CONTENT_TYPE);
    }

    #[test]
    fn reminders_say_how_soon() {
        let cases =
            [(10, "Reminder: Weekly sync starts in 10 minutes"), (60, "Reminder: Weekly sync starts in 60 minutes")];
        for (minutes, subject) in cases {
            let mail = reminder("bob@example.org", "Weekly sync", minutes, "09:30–10:00", CALL);
            assert_eq!(mail.subject, subject);
            assert!(has_line(&mail, CALL), "{}", mail.text);
            assert!(has_line(&mail, "09:30–10:00"), "{}", mail.text);
            assert!(mail.alternatives.is_empty());
        }
        assert_eq!(reminder("b@example.org", "Sync", 1, "now", CALL).subject, "Reminder: Sync starts in 1 minute");
    }

    fn followup_of(chat_lines: usize) -> Followup {
        Followup {
            title: "Weekly sync".to_owned(),
            when: "Tuesday 20 October 2026, 09:30–10:00".to_owned(),
            attendance: vec![("Ada".to_owned(), 30), ("Bob".to_owned(), 12)],
            chat: (0..chat_lines).map(|i| ("Ada".to_owned(), "09:31".to_owned(), format!("point {i}"))).collect(),
            documents: vec![("Agenda".to_owned(), "https://team.example/w/ws1/d/doc1".to_owned())],
            call_link: CALL.to_owned(),
            profile_link: "https://team.example/profile".to_owned(),
        }
    }

    #[test]
    fn followups_list_attendance_chat_and_documents() {
        let mut data = followup_of(2);
        data.chat[1].2 = "two\nlines".to_owned();
        let mail = followup("bob@example.org", &data);
        assert_eq!(mail.subject, "Follow-up: Weekly sync");
        for line in [
            "Who joined the call",
            "Ada — 30 min",
            "Bob — 12 min",
            "Chat during the meeting",
            "09:31 Ada: point 0",
            "09:31 Ada: two lines",
            "Documents edited",
            "Agenda",
            "https://team.example/w/ws1/d/doc1",
            "https://team.example/profile",
        ] {
            assert!(has_line(&mail, line), "{line:?} on its own line in:\n{}", mail.text);
        }
        let ending: Vec<&str> = mail.text.lines().rev().take(2).collect();
        assert_eq!(ending[0], "https://team.example/profile", "{}", mail.text);
        assert!(ending[1].contains("turn follow-ups off on your profile page"), "{}", mail.text);
        assert!(!mail.text.contains("more\n"), "{}", mail.text);
    }

    #[test]
    fn followups_say_when_nothing_happened_and_cut_long_chats() {
        let empty = Followup { title: "Sync".to_owned(), ..Followup::default() };
        let mail = followup("bob@example.org", &empty);
        assert!(has_line(&mail, "Nobody joined the call."), "{}", mail.text);

        let mail = followup("bob@example.org", &followup_of(MAX_FOLLOWUP_CHAT_LINES + 5));
        let listed = mail.text.lines().filter(|l| l.starts_with("09:31 Ada: point ")).count();
        assert_eq!(listed, MAX_FOLLOWUP_CHAT_LINES);
        assert!(has_line(&mail, "… and 5 more"), "{}", mail.text);

        let mail = followup("bob@example.org", &followup_of(MAX_FOLLOWUP_CHAT_LINES));
        assert!(!mail.text.contains("… and"), "exactly the limit lists everything");
    }
}
