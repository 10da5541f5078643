//! The y-websocket endpoint at protocol level: authentication of the upgrade,
//! sync and fan-out, viewers, PUT content, durability across restarts, awareness
//! clean-up, and bad input (each closes only its own connection).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use reynard_collab::Message as Y;
use reynard_collab::protocol::{decode_frame, encode_awareness, encode_sync_step1, encode_update};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update};

use crate::support::{TestServer, TestUser, assert_error};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A protocol-level client with its own Yjs document.
pub struct Client {
    pub socket: Socket,
    pub doc: Doc,
    pub denied: usize,
    pub awareness: Vec<Vec<u8>>,
}

impl Client {
    pub async fn connect(server: &TestServer, doc_id: &str, token: &str) -> Client {
        let url = format!("ws://{}/collab/{doc_id}?token={token}", server.addr);
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
        let mut client = Client { socket, doc: Doc::new(), denied: 0, awareness: Vec::new() };
        let sv = client.doc.transact().state_vector().encode_v1();
        client.send(encode_sync_step1(&sv)).await;
        client
    }

    pub async fn send(&mut self, frame: Vec<u8>) {
        self.socket.send(Message::Binary(frame.into())).await.expect("send");
    }

    /// Inserts locally and sends the update.
    pub async fn insert(&mut self, index: u32, text: &str) -> Vec<u8> {
        let update = {
            let ytext = self.doc.get_or_insert_text("monaco");
            let mut txn = self.doc.transact_mut();
            ytext.insert(&mut txn, index, text);
            txn.encode_update_v1()
        };
        self.send(encode_update(&update)).await;
        update
    }

    /// Deletes locally and sends the update; returns it.
    pub async fn delete(&mut self, index: u32, len: u32) -> Vec<u8> {
        let update = {
            let ytext = self.doc.get_or_insert_text("monaco");
            let mut txn = self.doc.transact_mut();
            ytext.remove_range(&mut txn, index, len);
            txn.encode_update_v1()
        };
        self.send(encode_update(&update)).await;
        update
    }

    /// Reads whatever has arrived within `wait`, applying it.
    pub async fn drain(&mut self, wait: Duration) {
        while let Ok(Some(Ok(message))) = tokio::time::timeout(wait, self.socket.next()).await {
            if let Message::Binary(frame) = message {
                self.handle(&frame).await;
            }
        }
    }

    pub fn text(&self) -> String {
        let ytext = self.doc.get_or_insert_text("monaco");
        ytext.get_string(&self.doc.transact())
    }

    /// Reads messages, applying document updates, until `done` holds (or panics
    /// after 5 s).
    pub async fn until(&mut self, what: &str, done: impl Fn(&Client) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !done(self) {
            let next = tokio::time::timeout_at(deadline, self.socket.next()).await;
            let frame = match next {
                Ok(Some(Ok(Message::Binary(frame)))) => frame,
                Ok(Some(Ok(_))) => continue,
                other => panic!("waiting for {what}: {other:?}; text {:?}", self.text()),
            };
            self.handle(&frame).await;
        }
    }

    async fn handle(&mut self, frame: &[u8]) {
        for message in decode_frame(frame).expect("server frames decode") {
            match message {
                Y::SyncStep1(sv) => {
                    let sv = StateVector::decode_v1(sv).expect("state vector");
                    let update = self.doc.transact().encode_state_as_update_v1(&sv);
                    self.send(reynard_collab::protocol::encode_sync_step2(&update)).await;
                }
                Y::SyncStep2(update) | Y::Update(update) => {
                    let update = Update::decode_v1(update).expect("update");
                    self.doc.transact_mut().apply_update(update).expect("apply");
                }
                Y::Auth(_) => self.denied += 1,
                Y::Awareness(payload) => self.awareness.push(payload.to_vec()),
                Y::QueryAwareness => {}
            }
        }
    }

    /// Waits for the server to close the connection; returns the close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Ok(Some(Ok(Message::Close(Some(frame))))) => return (frame.code.into(), frame.reason.to_string()),
                Ok(Some(Ok(Message::Close(None)))) | Ok(None) => return (1005, String::new()),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(err))) => return (1006, err.to_string()),
                Err(_) => panic!("the server did not close the connection"),
            }
        }
    }
}

/// A server with an owner, an editor and a viewer in one workspace, and one document.
pub struct Setup {
    pub server: TestServer,
    pub owner: TestUser,
    pub editor: TestUser,
    pub viewer: TestUser,
    pub doc: String,
}

pub async fn setup_with(tune: impl FnOnce(&mut reynard_server::config::Config)) -> Setup {
    let server = TestServer::start_with(tune).await;
    let owner = server.signup("owner@example.org").await;
    let editor = server.signup("editor@example.org").await;
    let viewer = server.signup("viewer@example.org").await;
    let ws = server.workspace(&owner, "Team").await;
    server.add(&owner, &ws, &editor, "editor").await;
    server.add(&owner, &ws, &viewer, "viewer").await;
    let (status, doc) = server
        .post(&format!("/api/v1/workspaces/{ws}/documents"), &owner.token, json!({ "path": "src/main.rs" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["language"], "rust");
    let doc = doc["id"].as_str().unwrap().to_owned();
    Setup { server, owner, editor, viewer, doc }
}

pub async fn setup() -> Setup {
    setup_with(|_| {}).await
}

pub async fn content(server: &TestServer, doc: &str, token: &str) -> String {
    let response = server
        .client
        .get(server.url(&format!("/api/v1/documents/{doc}/content")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// Waits until the server's copy of the document reads `expected` (a local
/// insert is visible to its author at once; this waits for the server).
async fn server_has(server: &TestServer, doc: &str, token: &str, expected: &str) {
    for _ in 0..250 {
        if content(server, doc, token).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server never reached {expected:?}; it has {:?}", content(server, doc, token).await);
}

/// [`server_has`] for other test modules.
pub async fn server_has_public(server: &TestServer, doc: &str, token: &str, expected: &str) {
    server_has(server, doc, token, expected).await;
}

#[tokio::test]
async fn upgrade_requires_a_member_token() {
    let s = setup().await;
    let outsider = s.server.signup("outsider@example.org").await;
    let path = format!("/collab/{}", s.doc);
    assert_error(&s.server.call(Method::GET, &path, None, None).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    let garbage = format!("{path}?token=rnd_nope");
    assert_error(&s.server.call(Method::GET, &garbage, None, None).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_error(&s.server.get(&path, &outsider.token).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(&s.server.get("/collab/no-such-doc", &s.owner.token).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(&s.server.get(&path, &s.viewer.token).await, StatusCode::UPGRADE_REQUIRED, "websocket_required");
    // A refused upgrade never becomes a WebSocket.
    let url = format!("ws://{}/collab/{}?token={}", s.server.addr, s.doc, outsider.token);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
}

#[tokio::test]
async fn editors_converge_and_updates_are_echoed_to_everyone() {
    let s = setup().await;
    let mut a = Client::connect(&s.server, &s.doc, &s.owner.token).await;
    let mut b = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    a.insert(0, "hello").await;
    b.until("a's edit", |c| c.text() == "hello").await;
    a.until("the echo", |c| c.text() == "hello").await;
    b.insert(5, " world").await;
    a.until("b's edit", |c| c.text() == "hello world").await;
    // Concurrent inserts at the same place converge.
    a.insert(0, "A").await;
    b.insert(0, "B").await;
    a.until("both", |c| c.text().len() == 13).await;
    b.until("both", |c| c.text().len() == 13).await;
    assert_eq!(a.text(), b.text());
    assert_eq!(content(&s.server, &s.doc, &s.viewer.token).await, a.text());

    // A late joiner gets everything.
    let mut c = Client::connect(&s.server, &s.doc, &s.viewer.token).await;
    let expected = a.text();
    c.until("the full text", |c| c.text() == expected).await;
}

#[tokio::test]
async fn viewers_read_but_their_updates_are_refused() {
    let s = setup().await;
    let mut editor = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let mut viewer = Client::connect(&s.server, &s.doc, &s.viewer.token).await;
    editor.insert(0, "shared").await;
    viewer.until("the editor's text", |c| c.text() == "shared").await;
    viewer.insert(0, "VIEWER").await;
    viewer.until("permission denied", |c| c.denied == 1).await;
    editor.insert(6, "!").await;
    editor.until("own echo", |c| c.text() == "shared!").await;
    viewer.until("later edits", |c| c.text().ends_with("shared!")).await;
    assert_eq!(content(&s.server, &s.doc, &s.owner.token).await, "shared!");
    assert_eq!(editor.text(), "shared!", "the viewer's insert never reached other clients");
}

#[tokio::test]
async fn put_content_reaches_live_clients_as_an_update() {
    let s = setup().await;
    let mut client = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    client.insert(0, "fn main() {}\n").await;
    server_has(&s.server, &s.doc, &s.owner.token, "fn main() {}\n").await;
    let url = s.server.url(&format!("/api/v1/documents/{}/content", s.doc));
    let put = |token: &str, body: &'static str| s.server.client.put(&url).bearer_auth(token).body(body).send();
    let response = put(&s.owner.token, "fn main() { println!(\"héllo 🦊\"); }\n").await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    client.until("the PUT", |c| c.text() == "fn main() { println!(\"héllo 🦊\"); }\n").await;
    assert_eq!(put(&s.viewer.token, "nope").await.unwrap().status(), StatusCode::FORBIDDEN);
    let not_utf8 =
        s.server.client.put(&url).bearer_auth(&s.owner.token).body(vec![0xff, 0xfe, 0x41]).send().await.unwrap();
    assert_eq!(not_utf8.status(), StatusCode::BAD_REQUEST);
    assert_eq!(content(&s.server, &s.doc, &s.viewer.token).await, "fn main() { println!(\"héllo 🦊\"); }\n");
}

#[tokio::test]
async fn content_survives_a_restart_and_eviction() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let s = setup_with(|config| {
        crate::support::store_in(config, &data);
        config.collab.idle_grace = Duration::from_millis(50);
    })
    .await;
    let mut a = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    for i in 0..50 {
        a.insert(0, &format!("{i};")).await;
    }
    let text = a.text();
    server_has(&s.server, &s.doc, &s.owner.token, &text).await;
    drop(a);
    // Evicted after the grace period, then loaded again from the log.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(content(&s.server, &s.doc, &s.owner.token).await, text);
    let token = s.owner.token.clone();
    let doc = s.doc.clone();
    s.server.stop().await.unwrap();

    let again = TestServer::start_with(|config| {
        crate::support::store_in(config, &data);
    })
    .await;
    assert_eq!(content(&again, &doc, &token).await, text);
}

#[tokio::test]
async fn awareness_is_relayed_and_removed_when_a_connection_closes() {
    let s = setup().await;
    let mut a = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let mut b = Client::connect(&s.server, &s.doc, &s.viewer.token).await;
    // Client 77 announces itself (clock 1, a JSON state).
    let mut payload = vec![1, 77, 1];
    let state = br#"{"user":{"name":"A"}}"#;
    payload.push(state.len() as u8);
    payload.extend_from_slice(state);
    a.send(encode_awareness(&payload)).await;
    // Relayed with the editor's user id added at the end of the object.
    let relayed = &state[..state.len() - 1];
    b.until("a's awareness", |c| c.awareness.iter().any(|p| p.windows(relayed.len()).any(|w| w == relayed))).await;
    a.socket.close(None).await.unwrap();
    drop(a);
    // The server announces the removal: client 77, state null.
    b.until("the removal of 77", |c| c.awareness.iter().any(|p| p.len() > 2 && p[1] == 77 && p.ends_with(b"null")))
        .await;
}

#[tokio::test]
async fn an_edit_reaches_the_others_before_its_cursor_and_cursor_moves_are_merged() {
    // Long enough that the pause between the keystrokes below falls within it.
    let s = setup_with(|config| config.collab.presence_delay = Duration::from_millis(400)).await;
    let mut a = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let mut b = Client::connect(&s.server, &s.doc, &s.viewer.token).await;
    a.drain(Duration::from_millis(100)).await;
    b.drain(Duration::from_millis(100)).await;
    let cursor = |clock: u8, at: u8| {
        let state = format!(r#"{{"cursor":{at}}}"#);
        let mut payload = vec![1, 77, clock, state.len() as u8];
        payload.extend_from_slice(state.as_bytes());
        encode_awareness(&payload)
    };
    // What a y-monaco client sends as its user types: the edit, then its
    // cursor; twice, the second in a later batch of the room.
    a.insert(0, "x").await;
    a.send(cursor(1, 1)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.insert(1, "y").await;
    a.send(cursor(2, 2)).await;

    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.iter().any(|(kind, _)| *kind == "awareness") {
        let frame = match tokio::time::timeout_at(deadline, b.socket.next()).await {
            Ok(Some(Ok(Message::Binary(frame)))) => frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("waiting for a's cursor: {other:?}; seen {seen:?}"),
        };
        for message in decode_frame(&frame).expect("server frames decode") {
            match message {
                Y::Update(_) => seen.push(("update", Vec::new())),
                Y::Awareness(payload) => seen.push(("awareness", payload.to_vec())),
                _ => {}
            }
        }
        b.handle(&frame).await;
    }
    assert_eq!(b.text(), "xy", "both edits arrived before the cursor: {seen:?}");
    assert_eq!(seen.last().map(|(kind, _)| *kind), Some("awareness"), "{seen:?}");
    // One awareness message, with only the newer of the two cursor states.
    let (_, payload) = seen.last().unwrap();
    assert_eq!(&payload[..3], &[1, 77, 2], "one entry, client 77 at clock 2: {payload:?}");
    assert!(String::from_utf8_lossy(payload).contains(r#""cursor":2"#), "{payload:?}");
    b.drain(Duration::from_millis(200)).await;
    assert_eq!(b.awareness.len(), 1, "no second cursor message: {:?}", b.awareness);
}

async fn assert_closed_with(client: &mut Client, code: u16) -> String {
    let (got, reason) = client.closed().await;
    assert_eq!(got, code, "close reason: {reason}");
    assert!(!reason.is_empty(), "a close carries a reason");
    reason
}

#[tokio::test]
async fn bad_input_closes_only_that_connection_and_the_document_stays() {
    let s = setup_with(|config| {
        config.collab.limits.max_message_bytes = 64 * 1024;
        config.collab.messages_per_second = 20;
    })
    .await;
    let mut good = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    good.insert(0, "intact").await;
    server_has(&s.server, &s.doc, &s.owner.token, "intact").await;

    let cases: Vec<(&str, Message, u16)> = vec![
        ("unknown message type", Message::Binary(vec![9, 1, 2].into()), 1007),
        ("truncated sync message", Message::Binary(vec![0, 2, 50, 1].into()), 1007),
        ("malformed update", Message::Binary(encode_update(&[255, 255, 255, 1, 2, 3]).into()), 1007),
        ("empty frame", Message::Binary(Vec::new().into()), 1007),
        ("text frame", Message::Text("hello".into()), 1003),
        ("oversized frame", Message::Binary(encode_update(&vec![0u8; 100 * 1024]).into()), 1009),
    ];
    for (name, message, code) in cases {
        let mut bad = Client::connect(&s.server, &s.doc, &s.editor.token).await;
        bad.socket.send(message).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let reason = assert_closed_with(&mut bad, code).await;
        eprintln!("{name}: closed {code} {reason}");
        assert_eq!(content(&s.server, &s.doc, &s.owner.token).await, "intact", "{name}");
    }

    // Flooding past the rate limit closes with a policy violation.
    let mut flood = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    for _ in 0..200 {
        if flood.socket.send(Message::Binary(encode_sync_step1(&[0]).into())).await.is_err() {
            break;
        }
    }
    let (code, reason) = flood.closed().await;
    assert!(code == 1008 || code == 1006, "{code} {reason}");

    // The well-behaved client is still connected and editing.
    good.insert(6, "!").await;
    good.until("echo", |c| c.text() == "intact!").await;
    assert_eq!(content(&s.server, &s.doc, &s.viewer.token).await, "intact!");
}

#[tokio::test]
async fn documents_crud_and_paths() {
    let s = setup().await;
    let ws_docs = |ws: &str| format!("/api/v1/workspaces/{ws}/documents");
    let (_, doc) = s.server.get(&format!("/api/v1/documents/{}", s.doc), &s.viewer.token).await;
    let ws = doc["workspace_id"].as_str().unwrap().to_owned();
    let bad = s.server.post(&ws_docs(&ws), &s.owner.token, json!({ "path": "../etc/passwd" })).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "invalid_path");
    let dup = s.server.post(&ws_docs(&ws), &s.owner.token, json!({ "path": "/src/main.rs" })).await;
    assert_error(&dup, StatusCode::CONFLICT, "conflict");
    let denied = s.server.post(&ws_docs(&ws), &s.viewer.token, json!({ "path": "x.md" })).await;
    assert_error(&denied, StatusCode::FORBIDDEN, "forbidden");

    let path = format!("/api/v1/documents/{}", s.doc);
    let (status, moved) =
        s.server.call(Method::PATCH, &path, Some(&s.editor.token), Some(json!({ "path": "lib/util.py" }))).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!((moved["path"].as_str(), moved["language"].as_str()), (Some("lib/util.py"), Some("python")));
    let (_, list) = s.server.get(&ws_docs(&ws), &s.viewer.token).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let mut live = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    live.insert(0, "x").await;
    server_has(&s.server, &s.doc, &s.owner.token, "x").await;
    assert_eq!(s.server.call(Method::DELETE, &path, Some(&s.editor.token), None).await.0, StatusCode::NO_CONTENT);
    let (code, _) = live.closed().await;
    assert_eq!(code, 1001, "live connections of a deleted document are closed");
    assert_error(&s.server.get(&path, &s.owner.token).await, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn updates_the_document_already_has_are_not_logged_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let s = setup_with(|config| {
        crate::support::store_in(config, &data);
    })
    .await;
    let mut a = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    for i in 0..5 {
        insert_logged(&s, &mut a, &format!("{i};")).await;
    }
    let store = reynard_store::Store::open(&reynard_store::Store::sqlite_url(&data)).await.unwrap();
    let doc_id = reynard_proto::DocumentId::new(s.doc.clone());
    let logged = store.load_document_state(&doc_id).await.unwrap().last_seq();
    assert_eq!(logged, 5);

    // A second client holding the same content (as after a reconnect) answers the
    // server's sync step 1 with all of it, and sends it again as an update.
    let mut b = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let state = a.doc.transact().encode_state_as_update_v1(&StateVector::default());
    b.doc.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
    b.send(encode_update(&state)).await;
    b.until("the server's step 1 answered", |c| c.text() == a.text()).await;
    a.insert(0, "new;").await;
    let expected = a.text();
    b.until("the next real edit", |c| c.text() == expected).await;
    // Let anything b sent in answer to the server's step 1 land before counting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.load_document_state(&doc_id).await.unwrap().last_seq(), 6, "only the real edit was logged");
}

#[tokio::test]
async fn role_changes_apply_to_live_connections_at_once() {
    let s = setup().await;
    let (_, doc) = s.server.get(&format!("/api/v1/documents/{}", s.doc), &s.owner.token).await;
    let ws = doc["workspace_id"].as_str().unwrap().to_owned();
    let member = |user: &TestUser| format!("/api/v1/workspaces/{ws}/members/{}", user.id);

    // A viewer promoted to editor writes without reconnecting.
    let mut viewer = Client::connect(&s.server, &s.doc, &s.viewer.token).await;
    viewer.drain(Duration::from_millis(50)).await;
    let promote =
        s.server.call(Method::PATCH, &member(&s.viewer), Some(&s.owner.token), Some(json!({ "role": "editor" }))).await;
    assert_eq!(promote.0, StatusCode::OK);
    viewer.insert(0, "allowed;").await;
    let expected = viewer.text();
    server_has(&s.server, &s.doc, &s.owner.token, &expected).await;

    // An editor demoted to viewer is refused from then on.
    let mut editor = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    editor.until("the text", |c| c.text() == expected).await;
    let demote =
        s.server.call(Method::PATCH, &member(&s.editor), Some(&s.owner.token), Some(json!({ "role": "viewer" }))).await;
    assert_eq!(demote.0, StatusCode::OK);
    editor.insert(0, "late;").await;
    editor.until("permission denied", |c| c.denied == 1).await;
    assert_eq!(content(&s.server, &s.doc, &s.owner.token).await, expected);

    // A removed member is disconnected.
    let removed = s.server.call(Method::DELETE, &member(&s.editor), Some(&s.owner.token), None).await;
    assert_eq!(removed.0, StatusCode::NO_CONTENT);
    let (code, reason) = editor.closed().await;
    assert_eq!(code, 1008, "{reason}");
}

#[tokio::test]
async fn concurrent_first_joins_share_one_loaded_document() {
    let s = setup_with(|config| config.collab.idle_grace = Duration::from_millis(20)).await;
    let url = s.server.url(&format!("/api/v1/documents/{}/content", s.doc));
    let put = s.server.client.put(&url).bearer_auth(&s.editor.token).body("base;").send().await.unwrap();
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    // Let the room go idle and leave memory, so that the joins below race to load it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let joins = (0..12).map(|i| {
        let (server, doc, token) = (&s.server, s.doc.clone(), s.editor.token.clone());
        async move {
            let mut client = Client::connect(server, &doc, &token).await;
            client.until("the stored text", |c| c.text().contains("base;")).await;
            client.insert(0, &format!("c{i};")).await;
            client
        }
    });
    let mut clients = futures_util::future::join_all(joins).await;
    for client in &mut clients {
        client.until("every client's insert", |c| c.text().matches(';').count() == 13).await;
    }
    let text = content(&s.server, &s.doc, &s.owner.token).await;
    for i in 0..12 {
        assert!(text.contains(&format!("c{i};")), "c{i} lost: {text}");
    }
    let metrics = s.server.metrics().await;
    assert!(metrics.lines().any(|l| l == "reynard_document_rooms 1"), "exactly one room loaded: {metrics}");
}

#[tokio::test]
async fn a_put_over_the_document_limit_is_refused_and_changes_nothing() {
    let s = setup_with(|config| config.collab.limits.max_document_bytes = 4096).await;
    let url = s.server.url(&format!("/api/v1/documents/{}/content", s.doc));
    let small = s.server.client.put(&url).bearer_auth(&s.editor.token).body("small").send().await.unwrap();
    assert_eq!(small.status(), StatusCode::NO_CONTENT);
    let big = s.server.client.put(&url).bearer_auth(&s.editor.token).body("x".repeat(8192)).send().await.unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = big.json().await.unwrap();
    assert_eq!(body["error"]["code"], "document_too_large");
    assert_eq!(content(&s.server, &s.doc, &s.owner.token).await, "small");
}

#[tokio::test]
async fn a_live_document_folds_its_log_into_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let s = setup_with(|config| {
        crate::support::store_in(config, &data);
        config.collab.compact_after = 10;
    })
    .await;
    let store = reynard_store::Store::open(&reynard_store::Store::sqlite_url(&data)).await.unwrap();
    let doc_id = reynard_proto::DocumentId::new(s.doc.clone());
    let mut a = Client::connect(&s.server, &s.doc, &s.editor.token).await;

    // A fresh document folds once `compact_after` entries are logged.
    for i in 0..10 {
        insert_logged(&s, &mut a, &format!("{i};")).await;
    }
    settled(&s, &a).await;
    let state = store.load_document_state(&doc_id).await.unwrap();
    let (snapshot_seq, snapshot) = state.snapshot.clone().expect("a snapshot after 10 entries");
    assert_eq!((snapshot_seq, state.updates.len()), (10, 0));

    // Make the snapshot large: one big insert and 9 small edits are folded
    // (the log outweighs the small snapshot). After that, small edits are not
    // folded every 10 entries: only once the log weighs as much as the snapshot.
    insert_logged(&s, &mut a, &"x".repeat(20_000)).await;
    for i in 0..9 {
        insert_logged(&s, &mut a, &format!("{i}:")).await;
    }
    settled(&s, &a).await;
    let state = store.load_document_state(&doc_id).await.unwrap();
    let (big_seq, big_snapshot) = state.snapshot.clone().unwrap();
    assert_eq!((big_seq, state.updates.len()), (20, 0));
    assert!(big_snapshot.len() > 20_000 && big_snapshot.len() > snapshot.len());
    for i in 0..30 {
        insert_logged(&s, &mut a, &format!("{i},")).await;
    }
    settled(&s, &a).await;
    let state = store.load_document_state(&doc_id).await.unwrap();
    assert_eq!(state.snapshot.as_ref().unwrap().0, 20);
    assert_eq!(state.updates.len(), 30, "small entries are not folded into a large snapshot yet");

    // The log outweighs the snapshot: folded.
    insert_logged(&s, &mut a, &"y".repeat(24_000)).await;
    settled(&s, &a).await;
    let state = store.load_document_state(&doc_id).await.unwrap();
    assert_eq!(state.updates.len(), 0, "a heavy log is folded");
    assert_eq!(state.snapshot.unwrap().0, 51);
    assert_eq!(content(&s.server, &s.doc, &s.owner.token).await, a.text());
}

/// Inserts `text` at the start and waits until the server has it, so that each
/// insert is a log entry of its own (a room logs a burst of one author's
/// updates, arriving together, as one entry).
async fn insert_logged(s: &Setup, client: &mut Client, text: &str) {
    client.insert(0, text).await;
    server_has(&s.server, &s.doc, &s.owner.token, &client.text()).await;
}

/// Waits until the server has `client`'s text, then for one more request: the
/// room answers it only after finishing the batch before (and its compaction).
async fn settled(s: &Setup, client: &Client) {
    server_has(&s.server, &s.doc, &s.owner.token, &client.text()).await;
    content(&s.server, &s.doc, &s.owner.token).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_the_room_goes_on() {
    let s = setup_with(|config| {
        config.collab.send_queue = 16;
        config.collab.send_queue_bytes = 1024 * 1024;
        config.collab.messages_per_second = 100_000;
    })
    .await;
    // A client that connects and then never reads again.
    let url = format!("ws://{}/collab/{}?token={}", s.server.addr, s.doc, s.editor.token);
    let (stalled, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
    let mut a = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    a.drain(Duration::from_millis(100)).await;
    assert_eq!(open_websockets(&s.server).await, 2);

    // Far more than the socket buffers of the stalled client hold: its writes
    // block, its queue overflows (in bytes, however the bursts were merged into
    // frames), and the room lets it go.
    let chunk = "z".repeat(32 * 1024);
    for _ in 0..40 {
        for _ in 0..10 {
            a.insert(0, &chunk).await;
        }
        a.drain(Duration::from_millis(5)).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while open_websockets(&s.server).await != 1 {
        assert!(tokio::time::Instant::now() < deadline, "the stalled connection is still open");
        a.drain(Duration::from_millis(50)).await;
    }
    // The document and the reading client are unaffected.
    settled(&s, &a).await;
    assert_eq!(content(&s.server, &s.doc, &s.owner.token).await.len(), 400 * chunk.len());
    drop(stalled);
}

/// The `reynard_open_websockets` gauge.
async fn open_websockets(server: &TestServer) -> i64 {
    let metrics = server.metrics().await;
    let line = metrics.lines().find(|l| l.starts_with("reynard_open_websockets ")).expect("gauge");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}
