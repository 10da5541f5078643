//! Every route × every caller (owner, editor, viewer, non-member, anonymous),
//! checked against one expectation table. A route added to the server without a
//! row here fails `the_table_covers_every_route`.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, TestUser, invite_token};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Owner,
    Editor,
    Viewer,
    NonMember,
    Anonymous,
}

const CALLERS: [Caller; 5] = [Caller::Owner, Caller::Editor, Caller::Viewer, Caller::NonMember, Caller::Anonymous];

/// One row: a route, its request body, and the status each caller gets
/// (owner, editor, viewer, non-member, anonymous).
struct Row {
    method: Method,
    path: &'static str,
    body: fn(&Fixture) -> Option<Value>,
    expect: [u16; 5],
}

/// A fresh workspace with one member per role, an extra member to act on, and a
/// pending invitation; callers are the same users across rows.
struct Fixture {
    ws: String,
    doc: String,
    version: String,
    branch: String,
    /// A room besides `general`, with one message of the owner's.
    room: String,
    message: String,
    /// A meeting of the owner's in the workspace.
    meeting: String,
    target: TestUser,
    invited_email: String,
    invite_token: String,
    fresh_email: String,
}

fn none(_: &Fixture) -> Option<Value> {
    None
}

fn rows() -> Vec<Row> {
    use Method as M;
    vec![
        Row { method: M::GET, path: "/healthz", body: none, expect: [200, 200, 200, 200, 200] },
        Row { method: M::GET, path: "/readyz", body: none, expect: [200, 200, 200, 200, 200] },
        // Only with the --metrics-token (test servers have one), never a user's token.
        Row { method: M::GET, path: "/metrics", body: none, expect: [401, 401, 401, 401, 401] },
        Row { method: M::GET, path: "/api/v1/openapi.json", body: none, expect: [200, 200, 200, 200, 200] },
        Row {
            method: M::POST,
            path: "/api/v1/auth/signup",
            body: |f| Some(json!({ "email": f.fresh_email, "password": "correct horse 1", "name": "New" })),
            expect: [201, 201, 201, 201, 201],
        },
        Row {
            method: M::POST,
            path: "/api/v1/auth/login",
            body: |f| Some(json!({ "email": f.target.email, "password": "correct horse 1" })),
            expect: [200, 200, 200, 200, 200],
        },
        Row {
            method: M::POST,
            path: "/api/v1/auth/verify-email",
            body: |_| Some(json!({ "token": "v1.forged.1.AAAA" })),
            expect: [400, 400, 400, 400, 400],
        },
        // Tests run without SMTP: signed-in callers learn that mail is off.
        Row {
            method: M::POST,
            path: "/api/v1/auth/resend-verification",
            body: none,
            expect: [409, 409, 409, 409, 401],
        },
        Row {
            method: M::POST,
            path: "/api/v1/invitations/accept",
            body: |f| Some(json!({ "token": f.invite_token })),
            expect: [200, 200, 200, 200, 401],
        },
        Row { method: M::POST, path: "/api/v1/auth/logout", body: none, expect: [204, 204, 204, 204, 401] },
        Row { method: M::GET, path: "/api/v1/auth/session", body: none, expect: [200, 200, 200, 200, 200] },
        Row { method: M::GET, path: "/api/v1/me", body: none, expect: [200, 200, 200, 200, 401] },
        Row {
            method: M::PATCH,
            path: "/api/v1/me",
            body: |_| Some(json!({ "time_zone": "Asia/Tokyo" })),
            expect: [200, 200, 200, 200, 401],
        },
        Row {
            method: M::POST,
            path: "/api/v1/workspaces",
            body: |_| Some(json!({ "name": "Mine" })),
            expect: [201, 201, 201, 201, 401],
        },
        Row { method: M::GET, path: "/api/v1/workspaces", body: none, expect: [200, 200, 200, 200, 401] },
        Row { method: M::GET, path: "/api/v1/workspaces/{ws}", body: none, expect: [200, 200, 200, 403, 401] },
        Row {
            method: M::PATCH,
            path: "/api/v1/workspaces/{ws}",
            body: |_| Some(json!({ "name": "Renamed" })),
            expect: [200, 403, 403, 403, 401],
        },
        Row { method: M::DELETE, path: "/api/v1/workspaces/{ws}", body: none, expect: [204, 403, 403, 403, 401] },
        Row { method: M::GET, path: "/api/v1/workspaces/{ws}/members", body: none, expect: [200, 200, 200, 403, 401] },
        Row {
            method: M::POST,
            path: "/api/v1/workspaces/{ws}/members",
            body: |f| Some(json!({ "email": f.fresh_email, "role": "viewer" })),
            expect: [201, 403, 403, 403, 401],
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/workspaces/{ws}/members/{user_id}",
            body: |_| Some(json!({ "role": "editor" })),
            expect: [200, 403, 403, 403, 401],
        },
        Row {
            method: M::DELETE,
            path: "/api/v1/workspaces/{ws}/members/{user_id}",
            body: none,
            expect: [204, 403, 403, 403, 401],
        },
        Row {
            method: M::GET,
            path: "/api/v1/workspaces/{ws}/invitations",
            body: none,
            expect: [200, 403, 403, 403, 401],
        },
        Row {
            method: M::DELETE,
            path: "/api/v1/workspaces/{ws}/invitations/{email}",
            body: none,
            expect: [204, 403, 403, 403, 401],
        },
        Row {
            method: M::POST,
            path: "/api/v1/workspaces/{ws}/documents",
            body: |_| Some(json!({ "path": "new.rs" })),
            expect: [201, 201, 403, 403, 401],
        },
        Row {
            method: M::GET,
            path: "/api/v1/workspaces/{ws}/documents",
            body: none,
            expect: [200, 200, 200, 403, 401],
        },
        Row { method: M::GET, path: "/api/v1/documents/{doc}", body: none, expect: [200, 200, 200, 403, 401] },
        Row {
            method: M::PATCH,
            path: "/api/v1/documents/{doc}",
            body: |_| Some(json!({ "path": "moved.rs" })),
            expect: [200, 200, 403, 403, 401],
        },
        Row { method: M::DELETE, path: "/api/v1/documents/{doc}", body: none, expect: [204, 204, 403, 403, 401] },
        Row { method: M::GET, path: "/api/v1/documents/{doc}/content", body: none, expect: [200, 200, 200, 403, 401] },
        Row {
            method: M::PUT,
            path: "/api/v1/documents/{doc}/content",
            body: |_| Some(json!("new text")),
            expect: [204, 204, 403, 403, 401],
        },
        Row {
            method: M::POST,
            path: "/api/v1/documents/{doc}/versions",
            body: |_| Some(json!({ "name": "v" })),
            expect: [201, 201, 403, 403, 401],
        },
        Row { method: M::GET, path: "/api/v1/documents/{doc}/versions", body: none, expect: [200, 200, 200, 403, 401] },
        Row {
            method: M::GET,
            path: "/api/v1/documents/{doc}/versions/{version}/content",
            body: none,
            expect: [200, 200, 200, 403, 401],
        },
        Row {
            method: M::GET,
            path: "/api/v1/documents/{doc}/diff?from={version}&to=current",
            body: none,
            expect: [200, 200, 200, 403, 401],
        },
        Row {
            method: M::POST,
            path: "/api/v1/documents/{doc}/versions/{version}/restore",
            body: none,
            expect: [200, 200, 403, 403, 401],
        },
        Row {
            method: M::POST,
            path: "/api/v1/documents/{doc}/branches",
            body: |_| Some(json!({ "name": "b" })),
            expect: [201, 201, 403, 403, 401],
        },
        Row { method: M::GET, path: "/api/v1/documents/{doc}/branches", body: none, expect: [200, 200, 200, 403, 401] },
        Row {
            method: M::POST,
            path: "/api/v1/documents/{branch}/merge",
            body: none,
            expect: [200, 200, 403, 403, 401],
        },
        // A plain GET (no upgrade headers) gets past authorization to 426.
        Row { method: M::GET, path: "/collab/{doc}", body: none, expect: [426, 426, 426, 403, 401] },
        // Rooms and chat: every member chats (viewers too); owners and editors
        // manage rooms; authors edit their messages, owners delete any;
        // outsiders are not told a room or message exists.
        Row { method: M::GET, path: "/api/v1/workspaces/{ws}/rooms", body: none, expect: [200, 200, 200, 403, 401] },
        Row {
            method: M::POST,
            path: "/api/v1/workspaces/{ws}/rooms",
            body: |_| Some(json!({ "name": "new-room" })),
            expect: [201, 201, 403, 403, 401],
        },
        Row { method: M::GET, path: "/api/v1/rooms/{room}", body: none, expect: [200, 200, 200, 404, 401] },
        Row {
            method: M::PATCH,
            path: "/api/v1/rooms/{room}",
            body: |_| Some(json!({ "name": "renamed" })),
            expect: [200, 200, 403, 404, 401],
        },
        Row { method: M::DELETE, path: "/api/v1/rooms/{room}", body: none, expect: [204, 204, 403, 404, 401] },
        Row { method: M::GET, path: "/api/v1/rooms/{room}/messages", body: none, expect: [200, 200, 200, 404, 401] },
        Row {
            method: M::POST,
            path: "/api/v1/rooms/{room}/messages",
            body: |_| Some(json!({ "text": "hello" })),
            expect: [201, 201, 201, 404, 401],
        },
        Row {
            method: M::PATCH,
            path: "/api/v1/messages/{message}",
            body: |_| Some(json!({ "text": "edited" })),
            expect: [200, 403, 403, 404, 401],
        },
        Row { method: M::DELETE, path: "/api/v1/messages/{message}", body: none, expect: [204, 403, 403, 404, 401] },
        Row {
            method: M::POST,
            path: "/api/v1/rooms/{room}/read",
            body: |f| Some(json!({ "message_id": f.message })),
            expect: [204, 204, 204, 404, 401],
        },
        Row { method: M::GET, path: "/api/v1/workspaces/{ws}/unread", body: none, expect: [200, 200, 200, 403, 401] },
        Row { method: M::GET, path: "/api/v1/workspaces/{ws}/mentions", body: none, expect: [200, 200, 200, 403, 401] },
        Row {
            method: M::GET,
            path: "/api/v1/workspaces/{ws}/messages/search?q=hello",
            body: none,
            expect: [200, 200, 200, 403, 401],
        },
        Row { method: M::GET, path: "/api/v1/workspaces/{ws}/live", body: none, expect: [426, 426, 426, 403, 401] },
        // Calls: every member joins (viewers receive only); outsiders never learn the room exists.
        Row { method: M::GET, path: "/api/v1/rooms/{room}/call", body: none, expect: [426, 426, 426, 404, 401] },
        Row { method: M::GET, path: "/api/v1/rooms/{room}/calls", body: none, expect: [200, 200, 200, 404, 401] },
        Row { method: M::GET, path: "/api/v1/rtc/ice-servers", body: none, expect: [200, 200, 200, 200, 401] },
        // Scheduling: owners and editors schedule (a meeting makes a room); everyone has an agenda.
        Row {
            method: M::POST,
            path: "/api/v1/workspaces/{ws}/meetings",
            body: |_| {
                Some(
                    json!({ "title": "Sync", "start": "2026-10-20T09:30", "end": "2026-10-20T10:00", "time_zone": "UTC" }),
                )
            },
            expect: [201, 201, 403, 403, 401],
        },
        Row { method: M::GET, path: "/api/v1/meetings/{meeting}", body: none, expect: [200, 200, 200, 404, 401] },
        // The organizer (the owner here) changes and cancels; the invited (the editor) answers.
        Row {
            method: M::PATCH,
            path: "/api/v1/meetings/{meeting}",
            body: |_| Some(json!({ "title": "Renamed" })),
            expect: [200, 403, 403, 404, 401],
        },
        Row { method: M::DELETE, path: "/api/v1/meetings/{meeting}", body: none, expect: [204, 403, 403, 404, 401] },
        Row {
            method: M::POST,
            path: "/api/v1/meetings/{meeting}/rsvp",
            body: |_| Some(json!({ "response": "accepted" })),
            expect: [403, 200, 403, 404, 401],
        },
        // Signed links and feed secrets are their own credentials: forged ones are not found.
        Row { method: M::GET, path: "/api/v1/rsvp/{token}", body: none, expect: [404, 404, 404, 404, 404] },
        Row {
            method: M::POST,
            path: "/api/v1/rsvp/{token}",
            body: |_| Some(json!({ "response": "accepted" })),
            expect: [404, 404, 404, 404, 404],
        },
        Row { method: M::GET, path: "/api/v1/me/calendar-feed", body: none, expect: [200, 200, 200, 200, 401] },
        Row { method: M::POST, path: "/api/v1/me/calendar-feed/rotate", body: none, expect: [200, 200, 200, 200, 401] },
        Row { method: M::GET, path: "/ics/{file}", body: none, expect: [404, 404, 404, 404, 404] },
        Row {
            method: M::GET,
            path: "/api/v1/me/agenda?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z",
            body: none,
            expect: [200, 200, 200, 200, 401],
        },
        Row {
            method: M::GET,
            path: "/api/v1/me/freebusy?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z",
            body: none,
            expect: [200, 200, 200, 200, 401],
        },
        Row {
            method: M::POST,
            path: "/api/v1/scheduling/slots",
            body: |_| {
                Some(
                    json!({ "attendees": [], "duration_minutes": 30, "from": "2026-10-20T00:00:00Z", "to": "2026-10-21T00:00:00Z" }),
                )
            },
            expect: [200, 200, 200, 200, 401],
        },
    ]
}

#[test]
fn the_table_covers_every_route() {
    let served: BTreeSet<_> =
        reynard_server::routes::all().into_iter().map(|r| (r.spec.method.to_string(), r.spec.path)).collect();
    let tested: BTreeSet<_> = rows()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path.split('?').next().unwrap_or(r.path).replace("{branch}", "{doc}")))
        .collect();
    let served: BTreeSet<_> = served.into_iter().map(|(m, p)| (m, p.to_owned())).collect();
    assert_eq!(served, tested);
}

#[tokio::test]
async fn every_route_for_every_role() {
    // The fixture of every case posts a message as the owner.
    let server = TestServer::start_with(|config| config.chat_messages_per_minute = 1_000_000).await;
    let owner = server.signup("owner@example.org").await;
    let editor = server.signup("editor@example.org").await;
    let viewer = server.signup("viewer@example.org").await;
    let outsider = server.signup("outsider@example.org").await;
    let mut failures = Vec::new();
    let mut counter = 0;

    for row in rows() {
        for (index, caller) in CALLERS.into_iter().enumerate() {
            counter += 1;
            // Fresh state per case: deleting or logging out must not affect the next case.
            let ws = server.workspace(&owner, "Team").await;
            server.add(&owner, &ws, &editor, "editor").await;
            server.add(&owner, &ws, &viewer, "viewer").await;
            let target = server.signup(&format!("target{counter}@example.org")).await;
            server.add(&owner, &ws, &target, "viewer").await;
            let invited_email = format!("invited{counter}@example.org");
            let invite = json!({ "email": invited_email, "role": "viewer" });
            let (_, invited) = server.post(&format!("/api/v1/workspaces/{ws}/members"), &owner.token, invite).await;
            let invite_token = invite_token(&invited);
            let (_, doc) = server
                .post(&format!("/api/v1/workspaces/{ws}/documents"), &owner.token, json!({ "path": "main.rs" }))
                .await;
            let doc = doc["id"].as_str().expect("document id").to_owned();
            let versions = format!("/api/v1/documents/{doc}/versions");
            let (_, version) = server.post(&versions, &owner.token, json!({ "name": "v0" })).await;
            let version = version["id"].as_str().expect("version id").to_owned();
            let branches = format!("/api/v1/documents/{doc}/branches");
            let (_, branch) = server.post(&branches, &owner.token, json!({ "name": "fixture" })).await;
            let branch = branch["id"].as_str().expect("branch id").to_owned();
            let (_, room) = server
                .post(&format!("/api/v1/workspaces/{ws}/rooms"), &owner.token, json!({ "name": "fixture" }))
                .await;
            let room = room["id"].as_str().expect("room id").to_owned();
            let (_, message) =
                server.post(&format!("/api/v1/rooms/{room}/messages"), &owner.token, json!({ "text": "hello" })).await;
            let message = message["id"].as_str().expect("message id").to_owned();
            let fresh_email = format!("fresh{counter}@example.org");
            let sync = json!({
                "title": "Fixture", "start": "2026-10-20T09:30", "end": "2026-10-20T10:00", "time_zone": "UTC",
                "attendees": [editor.email]
            });
            let (_, meeting) = server.post(&format!("/api/v1/workspaces/{ws}/meetings"), &owner.token, sync).await;
            let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
            let fixture = Fixture {
                ws,
                doc,
                version,
                branch,
                room,
                message,
                meeting,
                target,
                invited_email,
                invite_token,
                fresh_email,
            };

            let user = match caller {
                Caller::Owner => Some(&owner),
                Caller::Editor => Some(&editor),
                Caller::Viewer => Some(&viewer),
                Caller::NonMember => Some(&outsider),
                Caller::Anonymous => None,
            };
            // Logout revokes the token it is called with: use a fresh session for it.
            let token = match (user, row.path) {
                (Some(user), "/api/v1/auth/logout") => Some(login(&server, &user.email).await),
                (Some(user), _) => Some(user.token.clone()),
                (None, _) => None,
            };
            let path = row
                .path
                .replace("{ws}", &fixture.ws)
                .replace("{doc}", &fixture.doc)
                .replace("{version}", &fixture.version)
                .replace("{branch}", &fixture.branch)
                .replace("{room}", &fixture.room)
                .replace("{message}", &fixture.message)
                .replace("{meeting}", &fixture.meeting)
                .replace("{user_id}", &fixture.target.id)
                .replace("{email}", &fixture.invited_email)
                .replace("{token}", "v1.forged.link")
                .replace("{file}", "no-such-secret.ics");
            let (status, body) = server.call(row.method.clone(), &path, token.as_deref(), (row.body)(&fixture)).await;
            let expected = StatusCode::from_u16(row.expect[index]).unwrap();
            if status != expected {
                failures.push(format!(
                    "{} {} as {caller:?}: got {status}, expected {expected}: {body}",
                    row.method, row.path
                ));
            }
            if !status.is_success() {
                assert!(
                    body["error"]["code"].is_string(),
                    "{} {} as {caller:?}: error body {body}",
                    row.method,
                    row.path
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // A workspace that does not exist is 404 for a signed-in caller.
    let missing = server.get("/api/v1/workspaces/no-such-workspace/members", &owner.token).await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
}

async fn login(server: &TestServer, email: &str) -> String {
    let body = json!({ "email": email, "password": "correct horse 1" });
    let (status, json) = server.call(Method::POST, "/api/v1/auth/login", None, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    json["token"].as_str().unwrap().to_owned()
}
