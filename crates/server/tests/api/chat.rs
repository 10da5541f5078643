//! Rooms and chat over HTTP and the workspace's live socket: the default room,
//! room management by role, message history and its pages, edit and delete
//! rules, limits, mentions, unread counts, search, persistence across a
//! restart, and live delivery of messages, typing and presence (ending when
//! access ends).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{TestServer, TestUser, assert_error};

struct Team {
    server: TestServer,
    ws: String,
    owner: TestUser,
    editor: TestUser,
    viewer: TestUser,
    outsider: TestUser,
}

async fn team_with(tune: impl FnOnce(&mut reynard_server::config::Config)) -> Team {
    let server = TestServer::start_with(tune).await;
    let owner = server.signup("ada@example.org").await;
    let editor = server.signup("bob@example.org").await;
    let viewer = server.signup("cy@example.org").await;
    let outsider = server.signup("eve@example.org").await;
    let ws = server.workspace(&owner, "Team").await;
    server.add(&owner, &ws, &editor, "editor").await;
    server.add(&owner, &ws, &viewer, "viewer").await;
    Team { server, ws, owner, editor, viewer, outsider }
}

async fn team() -> Team {
    team_with(|_| {}).await
}

impl Team {
    async fn rooms(&self, who: &TestUser) -> Vec<Value> {
        let (status, rooms) = self.server.get(&format!("/api/v1/workspaces/{}/rooms", self.ws), &who.token).await;
        assert_eq!(status, StatusCode::OK, "{rooms}");
        rooms.as_array().unwrap().clone()
    }

    async fn general(&self) -> String {
        let rooms = self.rooms(&self.owner).await;
        let general = rooms.iter().find(|r| r["is_default"] == true).expect("a default room");
        general["id"].as_str().unwrap().to_owned()
    }

    async fn say(&self, who: &TestUser, room: &str, text: &str) -> Value {
        let (status, message) =
            self.server.post(&format!("/api/v1/rooms/{room}/messages"), &who.token, json!({ "text": text })).await;
        assert_eq!(status, StatusCode::CREATED, "{message}");
        message
    }

    async fn unread(&self, who: &TestUser, room: &str) -> (i64, i64) {
        let (status, all) = self.server.get(&format!("/api/v1/workspaces/{}/unread", self.ws), &who.token).await;
        assert_eq!(status, StatusCode::OK, "{all}");
        let entry = all.as_array().unwrap().iter().find(|u| u["room_id"] == room).expect("the room's unread entry");
        (entry["unread"].as_i64().unwrap(), entry["mentions"].as_i64().unwrap())
    }
}

#[tokio::test]
async fn every_workspace_has_a_general_room_and_members_manage_more() {
    let t = team().await;
    let rooms = t.rooms(&t.viewer).await;
    assert_eq!(rooms.len(), 1, "{rooms:?}");
    assert_eq!(rooms[0]["name"], "general");
    assert_eq!(rooms[0]["is_default"], true);

    let path = format!("/api/v1/workspaces/{}/rooms", t.ws);
    let (status, design) = t.server.post(&path, &t.editor.token, json!({ "name": "design" })).await;
    assert_eq!(status, StatusCode::CREATED, "{design}");
    assert_eq!(design["archived"], false);
    let design = design["id"].as_str().unwrap().to_owned();
    assert_error(
        &t.server.post(&path, &t.owner.token, json!({ "name": "design" })).await,
        StatusCode::CONFLICT,
        "room_exists",
    );
    assert_error(
        &t.server.post(&path, &t.viewer.token, json!({ "name": "mine" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &t.server.post(&path, &t.owner.token, json!({ "name": "  " })).await,
        StatusCode::BAD_REQUEST,
        "invalid_name",
    );

    // Rename, archive (gone from the list, still listed with ?archived=true), bring back.
    let room = format!("/api/v1/rooms/{design}");
    let (status, renamed) =
        t.server.call(Method::PATCH, &room, Some(&t.editor.token), Some(json!({ "name": "design-review" }))).await;
    assert_eq!((status, renamed["name"].as_str()), (StatusCode::OK, Some("design-review")), "{renamed}");
    let (status, _) = t.server.call(Method::DELETE, &room, Some(&t.editor.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(t.rooms(&t.owner).await.len(), 1);
    let (_, all) = t.server.get(&format!("{path}?archived=true"), &t.owner.token).await;
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let archived = t.say_refused(&design, "anyone?").await;
    assert_error(&archived, StatusCode::CONFLICT, "room_archived");
    let (status, back) =
        t.server.call(Method::PATCH, &room, Some(&t.owner.token), Some(json!({ "archived": false }))).await;
    assert_eq!((status, back["archived"].as_bool()), (StatusCode::OK, Some(false)), "{back}");

    // The default room stays.
    let general = format!("/api/v1/rooms/{}", t.general().await);
    let refused = t.server.call(Method::DELETE, &general, Some(&t.owner.token), None).await;
    assert_error(&refused, StatusCode::CONFLICT, "default_room");
    // Outsiders do not learn that a room exists.
    assert_error(&t.server.get(&room, &t.outsider.token).await, StatusCode::NOT_FOUND, "not_found");
}

impl Team {
    async fn say_refused(&self, room: &str, text: &str) -> (StatusCode, Value) {
        self.server.post(&format!("/api/v1/rooms/{room}/messages"), &self.owner.token, json!({ "text": text })).await
    }
}

#[tokio::test]
async fn history_is_newest_first_in_pages_and_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let t = team_with(|config| crate::support::store_in(config, data.path())).await;
    let general = t.general().await;
    for i in 1..=5 {
        t.say(&t.viewer, &general, &format!("message {i}")).await;
    }
    let messages = format!("/api/v1/rooms/{general}/messages");
    let (_, page) = t.server.get(&format!("{messages}?limit=2"), &t.editor.token).await;
    let texts = |page: &Value| {
        page.as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(texts(&page), ["message 5", "message 4"]);
    let before = page[1]["id"].as_str().unwrap();
    let (_, next) = t.server.get(&format!("{messages}?limit=2&before={before}"), &t.editor.token).await;
    assert_eq!(texts(&next), ["message 3", "message 2"]);
    assert_error(
        &t.server.get(&format!("{messages}?limit=0"), &t.editor.token).await,
        StatusCode::BAD_REQUEST,
        "invalid_limit",
    );
    assert_error(
        &t.server.get(&format!("{messages}?limit=101"), &t.editor.token).await,
        StatusCode::BAD_REQUEST,
        "invalid_limit",
    );
    assert_eq!(page[0]["author_id"], t.viewer.id.as_str());
    assert_eq!(page[0]["author_name"], "cy");

    let Team { server, editor, .. } = t;
    server.stop().await.unwrap();
    let again = TestServer::start_with(|config| crate::support::store_in(config, data.path())).await;
    let (status, all) = again.get(&messages, &editor.token).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(texts(&all), ["message 5", "message 4", "message 3", "message 2", "message 1"]);
}

#[tokio::test]
async fn authors_edit_their_messages_and_owners_delete_any() {
    let t = team().await;
    let general = t.general().await;
    let message = t.say(&t.viewer, &general, "first draft").await;
    let path = format!("/api/v1/messages/{}", message["id"].as_str().unwrap());
    let edit = |text: &str| Some(json!({ "text": text }));

    let refused = t.server.call(Method::PATCH, &path, Some(&t.owner.token), edit("not yours")).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    let (status, edited) = t.server.call(Method::PATCH, &path, Some(&t.viewer.token), edit("final")).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["text"], "final");
    assert!(edited["edited_at"].is_i64(), "{edited}");

    let refused = t.server.call(Method::DELETE, &path, Some(&t.editor.token), None).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    let hidden = t.server.call(Method::DELETE, &path, Some(&t.outsider.token), None).await;
    assert_error(&hidden, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = t.server.call(Method::DELETE, &path, Some(&t.owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, left) = t.server.get(&format!("/api/v1/rooms/{general}/messages"), &t.viewer.token).await;
    assert_eq!(left, json!([]));

    // Authors delete their own.
    let mine = t.say(&t.editor, &general, "oops").await;
    let mine = format!("/api/v1/messages/{}", mine["id"].as_str().unwrap());
    assert_eq!(t.server.call(Method::DELETE, &mine, Some(&t.editor.token), None).await.0, StatusCode::NO_CONTENT);
    assert_error(
        &t.server.call(Method::DELETE, &mine, Some(&t.editor.token), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn messages_have_a_size_limit_and_senders_a_rate_limit() {
    let t = team_with(|config| config.chat_messages_per_minute = 3).await;
    let general = t.general().await;
    let path = format!("/api/v1/rooms/{general}/messages");
    let empty = t.server.post(&path, &t.editor.token, json!({ "text": " \n " })).await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "invalid_message");
    let long = "x".repeat(reynard_chat::MAX_MESSAGE_CHARS + 1);
    assert_error(
        &t.server.post(&path, &t.editor.token, json!({ "text": long })).await,
        StatusCode::BAD_REQUEST,
        "invalid_message",
    );
    let exact = "é".repeat(reynard_chat::MAX_MESSAGE_CHARS);
    t.say(&t.editor, &general, &exact).await;
    assert_error(&t.server.post(&path, &t.editor.token, json!({})).await, StatusCode::BAD_REQUEST, "invalid_body");

    t.say(&t.editor, &general, "two").await;
    t.say(&t.editor, &general, "three").await;
    let response = t
        .server
        .client
        .post(t.server.url(&path))
        .bearer_auth(&t.editor.token)
        .json(&json!({ "text": "four" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_some(), "429 without Retry-After");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // The limit is per person: someone else still talks.
    t.say(&t.viewer, &general, "my turn").await;
}

#[tokio::test]
async fn mentions_unread_counts_and_search() {
    let t = team().await;
    let general = t.general().await;
    let (_, random) =
        t.server.post(&format!("/api/v1/workspaces/{}/rooms", t.ws), &t.owner.token, json!({ "name": "random" })).await;
    let random = random["id"].as_str().unwrap().to_owned();

    t.say(&t.owner, &general, "morning all").await;
    let ping = t.say(&t.owner, &general, "@bob could you review the parser?").await;
    assert_eq!(ping["mentions"], json!([t.editor.id]), "{ping}");
    t.say(&t.viewer, &random, "`@bob` in code mentions nobody").await;
    assert_eq!(t.unread(&t.editor, &general).await, (2, 1));
    assert_eq!(t.unread(&t.editor, &random).await, (1, 0));
    // Your own messages are never unread.
    assert_eq!(t.unread(&t.owner, &general).await, (0, 0));

    let (_, mentions) = t.server.get(&format!("/api/v1/workspaces/{}/mentions", t.ws), &t.editor.token).await;
    assert_eq!(mentions.as_array().unwrap().len(), 1, "{mentions}");
    assert_eq!(mentions[0]["id"], ping["id"]);

    // Read up to the mention: both read; the count survives (it is stored).
    let read = format!("/api/v1/rooms/{general}/read");
    let (status, _) = t.server.post(&read, &t.editor.token, json!({ "message_id": ping["id"] })).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(t.unread(&t.editor, &general).await, (0, 0));
    // A mark never moves back, and only names a message of that room.
    let first = t.server.get(&format!("/api/v1/rooms/{general}/messages"), &t.editor.token).await.1[1]["id"].clone();
    t.server.post(&read, &t.editor.token, json!({ "message_id": first })).await;
    assert_eq!(t.unread(&t.editor, &general).await, (0, 0));
    let elsewhere = t
        .server
        .post(&format!("/api/v1/rooms/{random}/read"), &t.editor.token, json!({ "message_id": ping["id"] }))
        .await;
    assert_error(&elsewhere, StatusCode::BAD_REQUEST, "invalid_message");

    let search = |q: &str| format!("/api/v1/workspaces/{}/messages/search?q={q}", t.ws);
    let (status, found) = t.server.get(&search("parser"), &t.viewer.token).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["id"], ping["id"]);
    let (_, none) = t.server.get(&search("nothing%20here"), &t.viewer.token).await;
    assert_eq!(none, json!([]));
    // Another workspace's messages are not found.
    let other = t.server.workspace(&t.outsider, "Elsewhere").await;
    let (_, theirs) = t.server.get(&format!("/api/v1/workspaces/{other}/rooms"), &t.outsider.token).await;
    t.say(&t.outsider, theirs[0]["id"].as_str().unwrap(), "parser secrets").await;
    let (_, found) = t.server.get(&search("parser"), &t.viewer.token).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
}

/// A tab's live socket.
struct Tab {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Tab {
    async fn open(server: &TestServer, ws: &str, user: &TestUser) -> Tab {
        let url = format!("ws://{}/api/v1/workspaces/{ws}/live?token={}", server.addr, user.token);
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("live socket");
        let mut tab = Tab { socket };
        let welcome = tab.next().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        assert_eq!(welcome["user_id"], user.id.as_str());
        tab
    }

    async fn send(&mut self, command: Value) {
        self.socket.send(Message::Text(command.to_string().into())).await.unwrap();
    }

    async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), self.socket.next())
                .await
                .expect("a live event within 5 s")
                .expect("the socket is open")
                .expect("a frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next event of `kind` (others are skipped).
    async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let event = self.next().await;
            if event["type"] == kind {
                return event;
            }
        }
    }

    async fn closed(&mut self) -> (u16, String) {
        loop {
            let message =
                tokio::time::timeout(Duration::from_secs(5), self.socket.next()).await.expect("a close within 5 s");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => return (frame.code.into(), frame.reason.to_string()),
                Some(Ok(_)) => {}
                other => panic!("no close frame: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn the_live_socket_delivers_messages_typing_and_presence() {
    let t = team().await;
    let general = t.general().await;
    let mut bob = Tab::open(&t.server, &t.ws, &t.editor).await;
    let mut cy = Tab::open(&t.server, &t.ws, &t.viewer).await;
    // Bob hears Cy arrive; Cy's welcome already listed Bob.
    let arrived = bob.next_of("presence").await;
    assert_eq!(arrived["user_id"], t.viewer.id.as_str());
    assert_eq!(arrived["name"], "cy");
    assert_eq!(arrived["locations"], json!([{ "kind": "workspace" }]));

    cy.send(json!({ "type": "location", "location": { "kind": "room", "id": general } })).await;
    let moved = bob.next_of("presence").await;
    assert_eq!(moved["locations"], json!([{ "kind": "room", "id": general }]));

    cy.send(json!({ "type": "typing", "room_id": general })).await;
    let typing = bob.next_of("typing").await;
    assert_eq!(typing["room_id"], general.as_str());
    assert_eq!(typing["users"], json!([{ "user_id": t.viewer.id, "name": "cy" }]));

    // Sending stops the typing, and the message reaches every tab as it was written.
    let text = "<script>alert(1)</script> hi @bob";
    let sent = t.say(&t.viewer, &general, text).await;
    let stopped = bob.next_of("typing").await;
    assert_eq!(stopped["users"], json!([]));
    let delivered = bob.next_of("message").await;
    assert_eq!(delivered["message"], sent);
    assert_eq!(delivered["message"]["text"], text);
    assert_eq!(cy.next_of("message").await["message"]["id"], sent["id"]);

    let path = format!("/api/v1/messages/{}", sent["id"].as_str().unwrap());
    t.server.call(Method::PATCH, &path, Some(&t.viewer.token), Some(json!({ "text": "edited" }))).await;
    assert_eq!(bob.next_of("message_edited").await["message"]["text"], "edited");
    t.server.call(Method::DELETE, &path, Some(&t.viewer.token), None).await;
    let deleted = bob.next_of("message_deleted").await;
    assert_eq!(
        (deleted["room_id"].as_str(), deleted["message_id"].as_str()),
        (Some(general.as_str()), sent["id"].as_str())
    );

    // Room changes reach the tabs.
    t.server.post(&format!("/api/v1/workspaces/{}/rooms", t.ws), &t.owner.token, json!({ "name": "ops" })).await;
    assert_eq!(bob.next_of("room").await["room"]["name"], "ops");

    // A command that is not understood is answered, and the socket stays open.
    cy.send(json!({ "type": "dance" })).await;
    assert_eq!(cy.next_of("error").await["code"], "invalid_command");
    cy.send(json!({ "type": "typing", "room_id": "no-such-room" })).await;
    assert_eq!(cy.next_of("error").await["code"], "not_found");

    // Leaving: Bob sees Cy go offline.
    cy.socket.close(None).await.unwrap();
    let gone = bob.next_of("presence").await;
    assert_eq!((gone["user_id"].as_str(), gone["locations"].clone()), (Some(t.viewer.id.as_str()), json!([])));
}

#[tokio::test]
async fn typing_expires_on_its_own() {
    let t = team().await;
    let general = t.general().await;
    let mut bob = Tab::open(&t.server, &t.ws, &t.editor).await;
    let mut cy = Tab::open(&t.server, &t.ws, &t.viewer).await;
    cy.send(json!({ "type": "typing", "room_id": general })).await;
    assert_eq!(bob.next_of("typing").await["users"].as_array().unwrap().len(), 1);
    let started = std::time::Instant::now();
    assert_eq!(bob.next_of("typing").await["users"], json!([]));
    assert!(started.elapsed() >= Duration::from_secs(3), "typing ended after {:?}", started.elapsed());
}

#[tokio::test]
async fn the_live_socket_is_for_members_and_closes_when_access_ends() {
    let t = team().await;
    let url = |user: &TestUser| format!("ws://{}/api/v1/workspaces/{}/live?token={}", t.server.addr, t.ws, user.token);
    assert!(tokio_tungstenite::connect_async(url(&t.outsider)).await.is_err(), "an outsider got a live socket");
    let anonymous = format!("ws://{}/api/v1/workspaces/{}/live", t.server.addr, t.ws);
    assert!(tokio_tungstenite::connect_async(anonymous).await.is_err());

    // Removed from the workspace: closed at once.
    let mut bob = Tab::open(&t.server, &t.ws, &t.editor).await;
    let remove = format!("/api/v1/workspaces/{}/members/{}", t.ws, t.editor.id);
    let (status, _) = t.server.call(Method::DELETE, &remove, Some(&t.owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(bob.closed().await, (1008, "your access to this workspace was removed".to_owned()));

    // Signed out: closed at once.
    let mut cy = Tab::open(&t.server, &t.ws, &t.viewer).await;
    let (status, _) = t.server.call(Method::POST, "/api/v1/auth/logout", Some(&t.viewer.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(cy.closed().await, (1008, "signed out".to_owned()));

    // Binary frames are not the protocol.
    let mut ada = Tab::open(&t.server, &t.ws, &t.owner).await;
    ada.socket.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    assert_eq!(ada.closed().await.0, 1003);
}
