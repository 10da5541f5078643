//! Meetings and everyone's time over the API: a meeting gets a room and tells
//! its conflicts; the agenda expands recurrences keeping their wall-clock time
//! across DST; free/busy merges; slot finding respects every attendee's
//! working hours in their own zone and their meetings; who may do what.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, TestUser, assert_error};

struct Team {
    server: TestServer,
    london: TestUser,
    new_york: TestUser,
    viewer: TestUser,
    outsider: TestUser,
    ws: String,
}

async fn team() -> Team {
    let server = TestServer::start().await;
    let london = server.signup("london@example.org").await;
    let new_york = server.signup("newyork@example.org").await;
    let viewer = server.signup("viewer@example.org").await;
    let outsider = server.signup("outsider@example.org").await;
    let ws = server.workspace(&london, "Planning").await;
    server.add(&london, &ws, &new_york, "editor").await;
    server.add(&london, &ws, &viewer, "viewer").await;
    for (user, zone) in [(&london, "Europe/London"), (&new_york, "America/New_York")] {
        let (status, me) =
            server.call(Method::PATCH, "/api/v1/me", Some(&user.token), Some(json!({ "time_zone": zone }))).await;
        assert_eq!(status, StatusCode::OK, "{me}");
    }
    Team { server, london, new_york, viewer, outsider, ws }
}

impl Team {
    async fn schedule(&self, who: &TestUser, body: Value) -> (StatusCode, Value) {
        self.server
            .call(Method::POST, &format!("/api/v1/workspaces/{}/meetings", self.ws), Some(&who.token), Some(body))
            .await
    }
}

#[tokio::test]
async fn a_meeting_gets_a_room_and_tells_its_conflicts() {
    let t = team().await;
    let standup = json!({
        "title": "Standup", "start": "2026-10-20T09:30", "end": "2026-10-20T10:00", "time_zone": "Europe/London",
        "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE;COUNT=10", "attendees": ["NewYork@example.org", "guest@elsewhere.org"],
        "reminders_minutes": [10]
    });
    let (status, meeting) = t.schedule(&t.london, standup).await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(meeting["conflicts"], json!([]));
    assert_eq!(meeting["reminders_minutes"], json!([10]));
    let attendees = meeting["attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 2);
    assert_eq!(attendees[0]["email"], "guest@elsewhere.org");
    assert_eq!(attendees[1]["user_id"], t.new_york.id.as_str(), "{meeting}");
    // Its room is in the workspace.
    let (_, rooms) = t.server.get(&format!("/api/v1/workspaces/{}/rooms", t.ws), &t.new_york.token).await;
    assert!(
        rooms.as_array().unwrap().iter().any(|r| r["id"] == meeting["room_id"] && r["name"] == "Standup"),
        "{rooms}"
    );

    // A second meeting over the Tuesday occurrence conflicts for both.
    let review = json!({
        "title": "Review", "start": "2026-10-20T09:45", "end": "2026-10-20T10:15", "time_zone": "Europe/London",
        "attendees": ["newyork@example.org"]
    });
    let (status, second) = t.schedule(&t.london, review).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let conflicts = second["conflicts"].as_array().unwrap();
    let emails: Vec<&str> = conflicts.iter().map(|c| c["email"].as_str().unwrap()).collect();
    assert!(emails.contains(&"london@example.org") && emails.contains(&"newyork@example.org"), "{second}");
    // The overlap, in UTC: 09:45–10:00 London summer time.
    assert!(
        conflicts.iter().all(|c| c["start"] == "2026-10-20T08:45:00Z" && c["end"] == "2026-10-20T09:00:00Z"),
        "{second}"
    );

    // Readable by the workspace and the invited; not by others.
    let path = format!("/api/v1/meetings/{}", meeting["id"].as_str().unwrap());
    assert_eq!(t.server.get(&path, &t.viewer.token).await.0, StatusCode::OK);
    assert_error(&t.server.get(&path, &t.outsider.token).await, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn bad_meetings_and_callers_are_refused() {
    let t = team().await;
    let base =
        json!({ "title": "X", "start": "2026-10-20T09:30", "end": "2026-10-20T10:00", "time_zone": "Europe/London" });
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    for body in [
        with("time_zone", json!("Mars/Base")),
        with("end", json!("2026-10-20T09:00")),
        with("start", json!("20 October")),
        with("rrule", json!("FREQ=SOMETIMES")),
        with("title", json!("  ")),
        with("attendees", json!(["not an email"])),
        with("reminders_minutes", json!([1, 2, 3, 4, 5, 6])),
    ] {
        assert_error(&t.schedule(&t.london, body.clone()).await, StatusCode::BAD_REQUEST, "invalid_input");
    }
    assert_error(&t.schedule(&t.viewer, base.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(&t.schedule(&t.outsider, base).await, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn the_agenda_keeps_wall_clock_time_across_dst_and_free_busy_merges() {
    let t = team().await;
    // Daily at 09:30 London across the end of summer time (25 October 2026).
    let daily = json!({
        "title": "Daily", "start": "2026-10-23T09:30", "end": "2026-10-23T10:00", "time_zone": "Europe/London",
        "rrule": "FREQ=DAILY;COUNT=4"
    });
    assert_eq!(t.schedule(&t.london, daily).await.0, StatusCode::CREATED);
    let path = "/api/v1/me/agenda?from=2026-10-22T00:00:00Z&to=2026-11-01T00:00:00Z";
    let (status, agenda) = t.server.get(path, &t.london.token).await;
    assert_eq!(status, StatusCode::OK, "{agenda}");
    let starts: Vec<&str> = agenda.as_array().unwrap().iter().map(|o| o["start"].as_str().unwrap()).collect();
    assert_eq!(
        starts,
        [
            "2026-10-23T09:30:00+01:00",
            "2026-10-24T09:30:00+01:00",
            "2026-10-25T09:30:00+00:00",
            "2026-10-26T09:30:00+00:00"
        ]
    );
    // In New York's agenda (not invited): nothing.
    assert_eq!(t.server.get(path, &t.new_york.token).await.1, json!([]));

    // Two touching meetings are one busy interval.
    for (start, end) in [("2026-10-27T14:00", "2026-10-27T15:00"), ("2026-10-27T15:00", "2026-10-27T15:30")] {
        let body = json!({ "title": "Block", "start": start, "end": end, "time_zone": "Europe/London" });
        assert_eq!(t.schedule(&t.london, body).await.0, StatusCode::CREATED);
    }
    let (_, busy) =
        t.server.get("/api/v1/me/freebusy?from=2026-10-27T00:00:00Z&to=2026-10-28T00:00:00Z", &t.london.token).await;
    assert_eq!(busy, json!([{ "start": "2026-10-27T14:00:00Z", "end": "2026-10-27T15:30:00Z" }]));
    assert_error(
        &t.server.get("/api/v1/me/agenda?from=yesterday&to=today", &t.london.token).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    );
}

#[tokio::test]
async fn slots_fit_everyones_working_hours_in_their_zone_and_avoid_their_meetings() {
    let t = team().await;
    // 27 October 2026: London is on GMT, New York still on EDT (UTC-4).
    // Working hours 09:00–17:00 both: London 09:00–17:00Z, New York 13:00–21:00Z → 13:00–17:00Z together.
    let busy = json!({ "title": "Busy", "start": "2026-10-27T13:00", "end": "2026-10-27T14:00", "time_zone": "Europe/London" });
    assert_eq!(t.schedule(&t.london, busy).await.0, StatusCode::CREATED);
    let ask = |attendees: Value| json!({ "attendees": attendees, "duration_minutes": 60, "from": "2026-10-27T00:00:00Z", "to": "2026-10-28T00:00:00Z", "granularity_minutes": 30 });
    let (status, found) = t
        .server
        .call(
            Method::POST,
            "/api/v1/scheduling/slots",
            Some(&t.london.token),
            Some(ask(json!(["newyork@example.org"]))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let slots = found["slots"].as_array().unwrap();
    let mut starts: Vec<&str> = slots.iter().map(|s| s["start"].as_str().unwrap()).collect();
    starts.sort_unstable();
    assert_eq!(
        starts,
        [
            "2026-10-27T14:00:00Z",
            "2026-10-27T14:30:00Z",
            "2026-10-27T15:00:00Z",
            "2026-10-27T15:30:00Z",
            "2026-10-27T16:00:00Z"
        ],
        "{found}"
    );
    let reasons = slots[0]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r.as_str().unwrap().contains("America/New_York")), "{found}");

    // Someone who shares no workspace is not looked up.
    let (status, refused) = t
        .server
        .call(
            Method::POST,
            "/api/v1/scheduling/slots",
            Some(&t.london.token),
            Some(ask(json!(["outsider@example.org"]))),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
}
