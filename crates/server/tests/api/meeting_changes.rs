//! Changing meetings over the API: one occurrence, this and the following
//! ones (a split series that keeps its room and attendees), the whole series;
//! cancelling one occurrence or the meeting; answers; the calendar feed read
//! by an independent iCalendar parser.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::smtp_sink::ical_summary;
use crate::support::{TestServer, TestUser, assert_error};

struct Team {
    server: TestServer,
    organizer: TestUser,
    member: TestUser,
    ws: String,
}

async fn team() -> Team {
    let server = TestServer::start().await;
    let organizer = server.signup("organizer@example.org").await;
    let member = server.signup("member@example.org").await;
    let ws = server.workspace(&organizer, "Planning").await;
    server.add(&organizer, &ws, &member, "editor").await;
    for user in [&organizer, &member] {
        let body = json!({ "time_zone": "Europe/London" });
        let (status, me) = server.call(Method::PATCH, "/api/v1/me", Some(&user.token), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{me}");
    }
    Team { server, organizer, member, ws }
}

impl Team {
    /// Mondays 09:30–10:00 London from 19 Oct 2026, six times, with the member invited.
    async fn weekly(&self) -> Value {
        let body = json!({
            "title": "Planning", "start": "2026-10-19T09:30", "end": "2026-10-19T10:00", "time_zone": "Europe/London",
            "rrule": "FREQ=WEEKLY;COUNT=6", "attendees": [self.member.email], "reminders_minutes": [15]
        });
        let (status, meeting) =
            self.server.post(&format!("/api/v1/workspaces/{}/meetings", self.ws), &self.organizer.token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{meeting}");
        meeting
    }

    async fn patch(&self, who: &TestUser, id: &str, body: Value) -> (StatusCode, Value) {
        self.server.call(Method::PATCH, &format!("/api/v1/meetings/{id}"), Some(&who.token), Some(body)).await
    }

    async fn delete(&self, who: &TestUser, path: &str) -> (StatusCode, Value) {
        self.server.call(Method::DELETE, path, Some(&who.token), None).await
    }

    /// `(meeting id, start)` of `who`'s agenda in Oct–Dec 2026.
    async fn agenda(&self, who: &TestUser) -> Vec<(String, String)> {
        let (status, agenda) =
            self.server.get("/api/v1/me/agenda?from=2026-10-01T00:00:00Z&to=2027-01-01T00:00:00Z", &who.token).await;
        assert_eq!(status, StatusCode::OK, "{agenda}");
        agenda
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["meeting_id"].as_str().unwrap().to_owned(), o["start"].as_str().unwrap().to_owned()))
            .collect()
    }
}

#[tokio::test]
async fn one_occurrence_this_and_following_and_the_whole_series() {
    let t = team().await;
    let meeting = t.weekly().await;
    let id = meeting["id"].as_str().unwrap().to_owned();

    // One occurrence moves to 11:00 (after the clocks went back on 25 Oct: GMT).
    let body = json!({ "scope": "occurrence", "recurrence_id": "2026-10-26T09:30", "start": "2026-10-26T11:00" });
    let (status, changed) = t.patch(&t.organizer, &id, body).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["sequence"], 1);
    // One occurrence is cancelled.
    let (status, body) = t.delete(&t.organizer, &format!("/api/v1/meetings/{id}?occurrence=2026-11-02T09:30")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let starts: Vec<String> = t.agenda(&t.member).await.into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        starts,
        [
            "2026-10-19T09:30:00+01:00",
            "2026-10-26T11:00:00+00:00",
            "2026-11-09T09:30:00+00:00",
            "2026-11-16T09:30:00+00:00",
            "2026-11-23T09:30:00+00:00"
        ]
    );
    // Whoever was invited keeps seeing the occurrence's own times; the agenda
    // entry names the occurrence by its original start.
    let (_, agenda) =
        t.server.get("/api/v1/me/agenda?from=2026-10-26T00:00:00Z&to=2026-10-27T00:00:00Z", &t.member.token).await;
    assert_eq!(agenda[0]["recurrence_id"], "2026-10-26T09:30", "{agenda}");
    assert_eq!(agenda[0]["response"], "needs_action");
    assert_eq!(agenda[0]["reminders_minutes"], json!([15]));

    // This and the following: from 16 Nov on, at 14:00 with a new title.
    let body = json!({ "scope": "following", "recurrence_id": "2026-11-16T09:30", "start": "2026-11-16T14:00", "title": "Planning (afternoons)" });
    let (status, tail) = t.patch(&t.organizer, &id, body).await;
    assert_eq!(status, StatusCode::OK, "{tail}");
    assert_ne!(tail["id"], meeting["id"], "a split makes a new series");
    assert_eq!(tail["room_id"], meeting["room_id"], "in the same room");
    assert_eq!(tail["title"], "Planning (afternoons)");
    assert_eq!(tail["attendees"][0]["email"], t.member.email.as_str(), "{tail}");
    assert_eq!(tail["reminders_minutes"], json!([15]));
    let tail_id = tail["id"].as_str().unwrap().to_owned();
    let agenda = t.agenda(&t.member).await;
    let expected: Vec<(String, String)> = [
        (&id, "2026-10-19T09:30:00+01:00"),
        (&id, "2026-10-26T11:00:00+00:00"),
        (&id, "2026-11-09T09:30:00+00:00"),
        (&tail_id, "2026-11-16T14:00:00+00:00"),
        (&tail_id, "2026-11-23T14:00:00+00:00"),
    ]
    .into_iter()
    .map(|(m, s)| (m.clone(), s.to_owned()))
    .collect();
    assert_eq!(agenda, expected);

    // The whole (first) series gets a new title; its exceptions stay.
    let (status, head) = t.patch(&t.organizer, &id, json!({ "title": "Planning (mornings)" })).await;
    assert_eq!(status, StatusCode::OK, "{head}");
    assert_eq!(head["title"], "Planning (mornings)");
    assert_eq!(head["conflicts"], json!([]), "a meeting does not conflict with itself");
    assert!(head["rrule"].as_str().unwrap().contains("UNTIL="), "{head}");
    assert_eq!(t.agenda(&t.member).await, expected);
}

#[tokio::test]
async fn bad_changes_are_refused_with_reasons() {
    let t = team().await;
    let meeting = t.weekly().await;
    let id = meeting["id"].as_str().unwrap();
    let cases = [
        json!({ "scope": "occurrence", "start": "2026-10-26T11:00" }),
        json!({ "scope": "occurrence", "recurrence_id": "2026-10-27T09:30", "start": "2026-10-27T11:00" }),
        json!({ "scope": "occurrence", "recurrence_id": "2026-10-26T09:30", "rrule": "FREQ=DAILY" }),
        json!({ "scope": "all", "rrule": "FREQ=SOMETIMES" }),
        json!({ "scope": "all", "time_zone": "Mars/Olympus" }),
        json!({ "scope": "all", "start": "2026-10-19T11:00", "end": "2026-10-19T10:00" }),
        json!({ "scope": "all", "title": "  " }),
        json!({ "scope": "all", "reminders_minutes": [1, 2, 3, 4, 5, 6] }),
    ];
    for body in cases {
        let answer = t.patch(&t.organizer, id, body.clone()).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_input");
    }
    let answer = t.patch(&t.organizer, id, json!({ "scope": "sometimes" })).await;
    assert!(answer.0.is_client_error(), "{answer:?}");
    let answer = t.delete(&t.organizer, &format!("/api/v1/meetings/{id}?occurrence=2026-10-20T09:30")).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_input");
    // The member is invited but does not organize.
    let answer = t.patch(&t.member, id, json!({ "title": "Mine" })).await;
    assert_eq!(answer.0, StatusCode::FORBIDDEN, "{answer:?}");
    // Nothing changed.
    let (_, again) = t.server.get(&format!("/api/v1/meetings/{id}"), &t.organizer.token).await;
    assert_eq!(again["sequence"], 0, "{again}");
}

#[tokio::test]
async fn answers_and_cancellation() {
    let t = team().await;
    let meeting = t.weekly().await;
    let id = meeting["id"].as_str().unwrap();
    let rsvp = format!("/api/v1/meetings/{id}/rsvp");
    let answer = t.server.post(&rsvp, &t.member.token, json!({ "response": "maybe" })).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_input");
    let (status, answered) = t.server.post(&rsvp, &t.member.token, json!({ "response": "tentative" })).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    let (_, seen) = t.server.get(&format!("/api/v1/meetings/{id}"), &t.organizer.token).await;
    assert_eq!(seen["attendees"][0]["response"], "tentative", "the organizer sees the answer");
    assert_eq!(seen["organizer"]["email"], t.organizer.email.as_str());
    // Declining takes it off the member's agenda and free/busy.
    let (status, _) = t.server.post(&rsvp, &t.member.token, json!({ "response": "declined" })).await;
    assert_eq!(status, StatusCode::OK);
    assert!(t.agenda(&t.member).await.is_empty());
    assert_eq!(t.agenda(&t.organizer).await.len(), 6);

    let (status, body) = t.delete(&t.organizer, &format!("/api/v1/meetings/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, gone) = t.server.get(&format!("/api/v1/meetings/{id}"), &t.organizer.token).await;
    assert_eq!(gone["cancelled"], true);
    assert!(t.agenda(&t.organizer).await.is_empty());
    let answer = t.patch(&t.organizer, id, json!({ "title": "Back" })).await;
    assert_eq!(answer.0, StatusCode::CONFLICT, "{answer:?}");
    let answer = t.server.post(&rsvp, &t.member.token, json!({ "response": "accepted" })).await;
    assert_eq!(answer.0, StatusCode::CONFLICT, "{answer:?}");
}

#[tokio::test]
async fn the_calendar_feed_reads_in_an_independent_parser_and_its_address_rotates() {
    let t = team().await;
    let meeting = t.weekly().await;
    let id = meeting["id"].as_str().unwrap();
    let (status, _) = t.delete(&t.organizer, &format!("/api/v1/meetings/{id}?occurrence=2026-11-02T09:30")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, feed) = t.server.get("/api/v1/me/calendar-feed", &t.member.token).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let url = feed["url"].as_str().unwrap().to_owned();
    assert!(url.contains("/ics/") && url.ends_with(".ics"), "{url}");
    let (_, same) = t.server.get("/api/v1/me/calendar-feed", &t.member.token).await;
    assert_eq!(same["url"], url.as_str(), "the address stays until rotated");

    let response = t.server.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let body = response.bytes().await.unwrap();
    let calendar = ical_summary(&body, true);
    assert_eq!(calendar["timezones"], json!(["Europe/London"]), "{calendar}");
    let event = &calendar["events"][0];
    assert_eq!(event["uid"], meeting["uid"]);
    assert_eq!(event["summary"], "Planning");
    assert_eq!(event["dtstart"]["local"], "2026-10-19T09:30");
    assert_eq!(event["dtstart"]["tzid"], "Europe/London");
    assert_eq!(event["dtstart"]["utc"], "2026-10-19T08:30:00Z");
    assert_eq!(event["rrule"], "FREQ=WEEKLY;COUNT=6");
    assert_eq!(event["exdates"], json!(["2026-11-02T09:30"]));

    let (status, rotated) = t.server.post("/api/v1/me/calendar-feed/rotate", &t.member.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_url = rotated["url"].as_str().unwrap();
    assert_ne!(new_url, url);
    assert_eq!(t.server.client.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(t.server.client.get(new_url).send().await.unwrap().status(), StatusCode::OK);
}
