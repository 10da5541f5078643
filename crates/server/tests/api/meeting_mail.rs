//! Meeting mails against a real SMTP server (aiosmtpd, see `smtp_sink`), their
//! `.ics` parts read by an independent parser (Python's `icalendar`):
//! invitations with signed RSVP links, updates, cancellations; reminders and
//! follow-ups by a clock the test sets, across a restart and cancellations.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use reynard_server::config::Config;
use reynard_server::schedule::{Clock, ScheduleConfig};
use serde_json::{Value, json};

use crate::smtp_sink::SmtpSink;
use crate::support::{TestServer, TestUser};

fn mail_to(sink: &SmtpSink, config: &mut Config) {
    config.mailer = Some(reynard_mail::Mailer::new(&sink.url(), "Reynard <reynard@localhost>").expect("mailer"));
}

struct Team {
    server: TestServer,
    organizer: TestUser,
    member: TestUser,
    ws: String,
}

async fn team(server: TestServer) -> Team {
    let organizer = server.signup("organizer@example.org").await;
    let member = server.signup("member@example.org").await;
    let ws = server.workspace(&organizer, "Planning").await;
    server.add(&organizer, &ws, &member, "editor").await;
    Team { server, organizer, member, ws }
}

impl Team {
    async fn schedule(&self, body: Value) -> Value {
        let path = format!("/api/v1/workspaces/{}/meetings", self.ws);
        let (status, meeting) = self.server.post(&path, &self.organizer.token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{meeting}");
        meeting
    }

    async fn patch(&self, id: &str, body: Value) -> Value {
        let path = format!("/api/v1/meetings/{id}");
        let (status, changed) = self.server.call(Method::PATCH, &path, Some(&self.organizer.token), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        changed
    }

    async fn delete(&self, path: &str) {
        let (status, body) = self.server.call(Method::DELETE, path, Some(&self.organizer.token), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
}

/// Mondays 09:30–10:00 London from 19 Oct 2026, six times.
fn weekly(attendees: &[&str], reminders: &[u32]) -> Value {
    json!({
        "title": "Planning", "start": "2026-10-19T09:30", "end": "2026-10-19T10:00", "time_zone": "Europe/London",
        "rrule": "FREQ=WEEKLY;COUNT=6", "attendees": attendees, "reminders_minutes": reminders
    })
}

/// Waits for a mail to `to` whose subject is exactly `subject`.
async fn exact(sink: &SmtpSink, to: &str, subject: &str) -> crate::smtp_sink::ReceivedMail {
    for _ in 0..200 {
        if let Some(mail) = sink.matching(to, subject).into_iter().find(|m| m.subject == subject) {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no mail {subject:?} to {to}; got {:?}",
        sink.messages().iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn invitations_updates_and_cancellations_are_imip_with_working_rsvp_links() {
    let Some(sink) = SmtpSink::start() else { return };
    let t = team(TestServer::start_with(|config| mail_to(&sink, config)).await).await;
    let meeting = t.schedule(weekly(&["member@example.org", "guest@elsewhere.org"], &[])).await;
    let id = meeting["id"].as_str().unwrap().to_owned();

    // The invitation: text with the call and RSVP links, and a REQUEST.
    let invitation = exact(&sink, "guest@elsewhere.org", "Invitation: Planning").await;
    let call_link = format!("/w/{}/r/{}", t.ws, meeting["room_id"].as_str().unwrap());
    assert!(invitation.text.contains(&call_link), "{}", invitation.text);
    let calendar = invitation.calendar();
    assert_eq!(calendar["method"], "REQUEST", "{calendar}");
    assert_eq!(calendar["content_type_method"], "REQUEST");
    assert_eq!(calendar["timezones"], json!(["Europe/London"]));
    let event = &calendar["events"][0];
    assert_eq!(event["uid"], meeting["uid"]);
    assert_eq!(event["sequence"], 0);
    assert_eq!(
        event["dtstart"],
        json!({ "local": "2026-10-19T09:30", "tzid": "Europe/London", "utc": "2026-10-19T08:30:00Z" })
    );
    assert_eq!(event["rrule"], "FREQ=WEEKLY;COUNT=6");
    assert_eq!(event["organizer"], "mailto:organizer@example.org");
    let guest = event["attendees"].as_array().unwrap().iter().find(|a| a["address"] == "mailto:guest@elsewhere.org");
    assert_eq!(guest.unwrap()["rsvp"], "TRUE", "{event}");
    assert!(sink.matching("organizer@example.org", "Invitation").is_empty(), "the organizer invites no one but others");

    // The signed link answers without an account.
    let link = invitation.link("/rsvp/");
    let token = link.rsplit_once("/rsvp/").unwrap().1.split('?').next().unwrap().to_owned();
    let (status, seen) = t.server.call(Method::GET, &format!("/api/v1/rsvp/{token}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(
        (seen["email"].as_str(), seen["response"].as_str()),
        (Some("guest@elsewhere.org"), Some("needs_action"))
    );
    let body = json!({ "response": "accepted" });
    let (status, answered) = t.server.call(Method::POST, &format!("/api/v1/rsvp/{token}"), None, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["response"], "accepted");
    let (_, now) = t.server.get(&format!("/api/v1/meetings/{id}"), &t.organizer.token).await;
    assert_eq!(now["attendees"][0]["email"], "guest@elsewhere.org");
    assert_eq!(now["attendees"][0]["response"], "accepted", "the organizer sees the answer");
    // An altered link is refused.
    let replacement = if token.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{replacement}", &token[..token.len() - 1]);
    let (status, _) = t.server.call(Method::GET, &format!("/api/v1/rsvp/{forged}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An update: same UID, higher SEQUENCE, the answer kept.
    t.patch(&id, json!({ "title": "Planning v2" })).await;
    let update = exact(&sink, "guest@elsewhere.org", "Updated invitation: Planning v2").await.calendar();
    assert_eq!(update["events"][0]["uid"], meeting["uid"]);
    assert_eq!(update["events"][0]["sequence"], 1);
    let guest = update["events"][0]["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == "mailto:guest@elsewhere.org")
        .cloned();
    assert_eq!(guest.unwrap()["partstat"], "ACCEPTED");

    // One occurrence cancelled: a CANCEL naming it.
    t.delete(&format!("/api/v1/meetings/{id}?occurrence=2026-11-02T09:30")).await;
    let subject = "Cancelled: Planning v2 on Mon 2 Nov 2026, 09:30 (Europe/London)";
    let cancel = exact(&sink, "member@example.org", subject).await.calendar();
    assert_eq!(cancel["method"], "CANCEL", "{cancel}");
    assert_eq!(cancel["content_type_method"], "CANCEL");
    assert_eq!(cancel["events"][0]["recurrence_id"]["local"], "2026-11-02T09:30");
    assert_eq!(cancel["events"][0]["sequence"], 2);

    // Dropping an attendee cancels it for them; cancelling the meeting, for everyone.
    t.patch(&id, json!({ "attendees": ["member@example.org"] })).await;
    let dropped = exact(&sink, "guest@elsewhere.org", "Cancelled: Planning v2").await.calendar();
    assert_eq!(dropped["method"], "CANCEL");
    assert_eq!(dropped["events"][0]["recurrence_id"], Value::Null, "the whole series");
    t.delete(&format!("/api/v1/meetings/{id}")).await;
    let cancelled = exact(&sink, "member@example.org", "Cancelled: Planning v2").await.calendar();
    assert_eq!(cancelled["method"], "CANCEL");
    assert_eq!(cancelled["events"][0]["status"], "CANCELLED");
    assert_eq!(cancelled["events"][0]["sequence"], 4);
}

/// Counts mails to `to` whose subject contains `subject`, after the loop had
/// time for several passes.
async fn settled_count(sink: &SmtpSink, to: &str, subject: &str) -> usize {
    tokio::time::sleep(Duration::from_millis(600)).await;
    sink.matching(to, subject).len()
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[tokio::test]
async fn reminders_go_out_once_across_a_restart_and_follow_moves_and_cancellations() {
    let Some(sink) = SmtpSink::start() else { return };
    let data = tempfile::tempdir().unwrap();
    let database_url = reynard_store::Store::sqlite_url(data.path());
    let clock = Clock::manual(at("2026-10-19T08:00:00Z"));
    let tune = |config: &mut Config| {
        mail_to(&sink, config);
        config.database_url = database_url.clone();
        config.schedule = ScheduleConfig { clock: clock.clone(), poll: Duration::from_millis(50) };
    };
    let t = team(TestServer::start_with(tune).await).await;
    let meeting = t.schedule(weekly(&["member@example.org", "declined@elsewhere.org"], &[15])).await;
    let id = meeting["id"].as_str().unwrap().to_owned();
    // The guest declines (through their link): no reminders for them.
    let invitation = exact(&sink, "declined@elsewhere.org", "Invitation: Planning").await;
    let link = invitation.link("/rsvp/");
    let rsvp_token = link.rsplit_once("/rsvp/").unwrap().1.split('?').next().unwrap().to_owned();
    let body = json!({ "response": "declined" });
    let (status, _) = t.server.call(Method::POST, &format!("/api/v1/rsvp/{rsvp_token}"), None, Some(body)).await;
    assert_eq!(status, StatusCode::OK);

    let subject = "Reminder: Planning starts in 15 minutes";
    assert_eq!(settled_count(&sink, "member@example.org", subject).await, 0, "not due before 08:15Z");
    clock.set(at("2026-10-19T08:16:00Z"));
    let reminder = sink.wait_for("member@example.org", subject).await;
    assert!(reminder.text.contains(&format!("/r/{}", meeting["room_id"].as_str().unwrap())), "{}", reminder.text);
    sink.wait_for("organizer@example.org", subject).await;
    assert_eq!(settled_count(&sink, "declined@elsewhere.org", subject).await, 0);

    // A restart on the same database sends nothing twice.
    let Team { server, organizer, member, ws } = t;
    server.stop().await.unwrap();
    let t = Team { server: TestServer::start_with(tune).await, organizer, member, ws };
    assert_eq!(settled_count(&sink, "member@example.org", subject).await, 1);
    assert_eq!(sink.matching("organizer@example.org", subject).len(), 1);

    // A cancelled occurrence has no reminder; a moved one has it at its new time.
    t.delete(&format!("/api/v1/meetings/{id}?occurrence=2026-10-26T09:30")).await;
    t.patch(&id, json!({ "scope": "occurrence", "recurrence_id": "2026-11-02T09:30", "start": "2026-11-02T12:00" }))
        .await;
    clock.set(at("2026-10-26T09:16:00Z"));
    assert_eq!(settled_count(&sink, "member@example.org", subject).await, 1, "26 Oct is cancelled");
    clock.set(at("2026-11-02T09:16:00Z"));
    assert_eq!(settled_count(&sink, "member@example.org", subject).await, 1, "2 Nov moved to 12:00");
    clock.set(at("2026-11-02T11:46:00Z"));
    sink.wait_for("member@example.org", subject).await;
    for _ in 0..100 {
        if sink.matching("member@example.org", subject).len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sink.matching("member@example.org", subject).len(), 2);

    // A cancelled meeting has none.
    t.delete(&format!("/api/v1/meetings/{id}")).await;
    clock.set(at("2026-11-09T09:16:00Z"));
    assert_eq!(settled_count(&sink, "member@example.org", subject).await, 2);
}

#[tokio::test]
async fn a_follow_up_tells_who_joined_what_was_said_and_which_documents_changed() {
    let Some(sink) = SmtpSink::start() else { return };
    let now = Timestamp::now();
    let clock = Clock::manual(now);
    let tune = |config: &mut Config| {
        mail_to(&sink, config);
        config.schedule = ScheduleConfig { clock: clock.clone(), poll: Duration::from_millis(50) };
    };
    let t = team(TestServer::start_with(tune).await).await;
    let opted_out = t.server.signup("quiet@example.org").await;
    t.server.add(&t.organizer, &t.ws, &opted_out, "editor").await;
    let (status, _) =
        t.server.call(Method::PATCH, "/api/v1/me", Some(&opted_out.token), Some(json!({ "followups": false }))).await;
    assert_eq!(status, StatusCode::OK);

    // A meeting that started a minute ago (UTC wall clock), for half an hour.
    let start = now.checked_sub(SignedDuration::from_mins(1)).unwrap();
    let local = |at: Timestamp| jiff::tz::TimeZone::UTC.to_datetime(at).strftime("%Y-%m-%dT%H:%M").to_string();
    let end = start.checked_add(SignedDuration::from_mins(30)).unwrap();
    let meeting = t
        .schedule(json!({
            "title": "Retro", "start": local(start), "end": local(end), "time_zone": "UTC",
            "attendees": ["member@example.org", "quiet@example.org", "guest@elsewhere.org"]
        }))
        .await;
    let room = meeting["room_id"].as_str().unwrap().to_owned();

    // The organizer joins the call; the member chats; a document is written.
    let url = format!("ws://{}/api/v1/rooms/{room}/call?token={}", t.server.addr, t.organizer.token);
    let mut call = tokio_tungstenite::connect_async(url).await.expect("call socket").0;
    let joined = crate::calls::next_frame(&mut call).await;
    assert_eq!(joined["type"], "joined", "{joined}");
    let (status, _) = t
        .server
        .post(&format!("/api/v1/rooms/{room}/messages"), &t.member.token, json!({ "text": "Ship it on Friday" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, doc) = t
        .server
        .post(
            &format!("/api/v1/workspaces/{}/documents", t.ws),
            &t.organizer.token,
            json!({ "path": "notes/retro.md" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let edited = t
        .server
        .client
        .put(t.server.url(&format!("/api/v1/documents/{}/content", doc["id"].as_str().unwrap())))
        .bearer_auth(&t.organizer.token)
        .header("content-type", "text/plain")
        .body("# Retro\n\n- ship it\n")
        .send()
        .await
        .unwrap();
    assert!(edited.status().is_success(), "{:?}", edited.status());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    call.close(None).await.unwrap();
    drop(call);

    assert_eq!(settled_count(&sink, "organizer@example.org", "Follow-up").await, 0, "not before the end");
    clock.set(end.checked_add(SignedDuration::from_mins(1)).unwrap());
    let followup = sink.wait_for("organizer@example.org", "Follow-up: Retro").await;
    assert!(followup.text.contains("organizer"), "who joined: {}", followup.text);
    assert!(followup.text.contains("Ship it on Friday"), "the chat: {}", followup.text);
    assert!(followup.text.contains("retro.md"), "the document: {}", followup.text);
    assert!(followup.text.contains(&format!("/d/{}", doc["id"].as_str().unwrap())), "{}", followup.text);
    sink.wait_for("guest@elsewhere.org", "Follow-up: Retro").await;
    sink.wait_for("member@example.org", "Follow-up: Retro").await;
    assert_eq!(settled_count(&sink, "quiet@example.org", "Follow-up").await, 0, "opted out");
    assert_eq!(sink.matching("organizer@example.org", "Follow-up").len(), 1, "sent once");
}
