//! Access that ends or changes while document connections are open: signing
//! out, session expiry, a deleted workspace, a demoted editor's waiting edits,
//! the per-user connection cap, and presence that only its owner can change.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use reynard_collab::protocol::encode_awareness;
use serde_json::{Value, json};
use yrs::updates::decoder::Decode;
use yrs::{Text, Transact};

use crate::collab::{Client, content, setup, setup_with};
use crate::support::assert_error;

/// Logs `email` in again: a second session of the same user.
async fn login(server: &crate::support::TestServer, email: &str) -> String {
    let body = json!({ "email": email, "password": "correct horse 1" });
    let (status, answer) = server.call(Method::POST, "/api/v1/auth/login", None, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["token"].as_str().unwrap().to_owned()
}

async fn workspace_of(s: &crate::collab::Setup) -> String {
    let (_, doc) = s.server.get(&format!("/api/v1/documents/{}", s.doc), &s.owner.token).await;
    doc["workspace_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn signing_out_closes_that_sessions_sockets_only() {
    let s = setup().await;
    let other_session = login(&s.server, &s.editor.email).await;
    let mut signed_out = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let mut stays = Client::connect(&s.server, &s.doc, &other_session).await;
    signed_out.drain(Duration::from_millis(50)).await;
    stays.drain(Duration::from_millis(50)).await;

    let (status, _) = s.server.call(Method::POST, "/api/v1/auth/logout", Some(&s.editor.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(signed_out.closed().await, (1008, "signed out".to_owned()));
    // The other session's connection goes on editing.
    stays.insert(0, "still here").await;
    stays.until("the echo", |c| c.text() == "still here").await;
}

#[tokio::test]
async fn an_expiring_session_closes_its_sockets() {
    let s = setup_with(|config| config.session_ttl = Duration::from_secs(2)).await;
    let mut client = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    client.drain(Duration::from_millis(50)).await;
    assert_eq!(client.closed().await, (1008, "session expired".to_owned()));
}

#[tokio::test]
async fn deleting_a_workspace_closes_its_sockets() {
    let s = setup().await;
    let ws = workspace_of(&s).await;
    let mut editor = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    editor.drain(Duration::from_millis(50)).await;
    let (status, _) =
        s.server.call(Method::DELETE, &format!("/api/v1/workspaces/{ws}"), Some(&s.owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(editor.closed().await, (1001, "workspace deleted".to_owned()));
    // And nobody gets back in.
    let url = format!("ws://{}/collab/{}?token={}", s.server.addr, s.doc, s.editor.token);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
}

#[tokio::test]
async fn a_user_holds_a_bounded_number_of_document_sockets() {
    let s = setup_with(|config| config.collab.max_connections_per_user = 3).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(Client::connect(&s.server, &s.doc, &s.editor.token).await);
    }
    // The fourth is refused before the upgrade, with a JSON error.
    let response = s
        .server
        .client
        .get(s.server.url(&format!("/collab/{}?token={}", s.doc, s.editor.token)))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_error(&(status, body), StatusCode::TOO_MANY_REQUESTS, "too_many_connections");
    // Someone else is not affected; closing one makes room again.
    Client::connect(&s.server, &s.doc, &s.viewer.token).await;
    let mut first = open.remove(0);
    first.socket.close(None).await.unwrap();
    drop(first);
    let url = format!("ws://{}/collab/{}?token={}", s.server.addr, s.doc, s.editor.token);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio_tungstenite::connect_async(url.as_str()).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "a closed connection did not free its place");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_demoted_editors_waiting_edit_is_never_applied() {
    let s = setup().await;
    let ws = workspace_of(&s).await;
    let mut editor = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let mut owner = Client::connect(&s.server, &s.doc, &s.owner.token).await;
    editor.drain(Duration::from_millis(50)).await;
    owner.drain(Duration::from_millis(50)).await;
    // The editor makes two edits but the first is held back: the second waits for it.
    let (first, second) = {
        let text = editor.doc.get_or_insert_text("monaco");
        let first = {
            let mut txn = editor.doc.transact_mut();
            text.insert(&mut txn, 0, "first;");
            txn.encode_update_v1()
        };
        let second = {
            let mut txn = editor.doc.transact_mut();
            text.insert(&mut txn, 6, "second;");
            txn.encode_update_v1()
        };
        (first, second)
    };
    editor.send(reynard_collab::protocol::encode_update(&second)).await;
    editor.drain(Duration::from_millis(100)).await;
    let member = format!("/api/v1/workspaces/{ws}/members/{}", s.editor.id);
    let demote = s.server.call(Method::PATCH, &member, Some(&s.owner.token), Some(json!({ "role": "viewer" }))).await;
    assert_eq!(demote.0, StatusCode::OK);
    // The owner brings in what the waiting edit built on (say, from a copy the
    // editor shared); the editor's waiting edit must not ride along with it.
    {
        let update = yrs::Update::decode_v1(&first).unwrap();
        owner.doc.transact_mut().apply_update(update).unwrap();
    }
    owner.send(reynard_collab::protocol::encode_update(&first)).await;
    owner.until("the owner's echo", |c| c.text() == "first;").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(content(&s.server, &s.doc, &s.owner.token).await, "first;");
}

/// An awareness payload of one entry.
fn awareness_entry(client_id: u8, clock: u8, state: &str) -> Vec<u8> {
    let mut payload = vec![1, client_id, clock, state.len() as u8];
    payload.extend_from_slice(state.as_bytes());
    encode_awareness(&payload)
}

/// The JSON states of `client_id` a client has received, in order.
fn states_of(client: &Client, client_id: u64) -> Vec<Value> {
    client
        .awareness
        .iter()
        .flat_map(|payload| reynard_collab::awareness::decode_awareness_update(payload).unwrap())
        .filter(|entry| entry.client_id == client_id)
        .map(|entry| serde_json::from_str(entry.state).unwrap())
        .collect()
}

#[tokio::test]
async fn presence_is_tagged_with_the_user_and_only_its_owner_changes_it() {
    let s = setup().await;
    let mut editor = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let mut viewer = Client::connect(&s.server, &s.doc, &s.viewer.token).await;
    let mut owner = Client::connect(&s.server, &s.doc, &s.owner.token).await;
    editor.send(awareness_entry(77, 1, r#"{"user":{"name":"Editor"},"reynardUserId":"forged"}"#)).await;
    owner.until("the editor's state", |c| !states_of(c, 77).is_empty()).await;
    assert_eq!(states_of(&owner, 77)[0]["reynardUserId"], s.editor.id.as_str(), "the server's user id wins");

    // The viewer moves the editor's cursor, then removes it: nobody sees either.
    viewer.send(awareness_entry(77, 5, r#"{"user":{"name":"Editor"},"cursor":"moved"}"#)).await;
    viewer.send(awareness_entry(77, 6, "null")).await;
    // The editor's own next state is the next thing the owner hears of 77.
    editor.send(awareness_entry(77, 2, r#"{"user":{"name":"Editor"},"cursor":"own"}"#)).await;
    owner.until("the editor's second state", |c| states_of(c, 77).len() >= 2).await;
    let states = states_of(&owner, 77);
    assert_eq!(states.len(), 2, "{states:?}");
    assert_eq!(states[1]["cursor"], "own");
    assert_eq!(states[1]["reynardUserId"], s.editor.id.as_str());
}

/// An awareness message of client 99 at `clock` whose state weighs about `bytes`.
fn heavy_awareness(clock: u64, bytes: usize) -> Vec<u8> {
    let state = format!(r#"{{"pad":"{}"}}"#, "x".repeat(bytes));
    let entry = reynard_collab::awareness::AwarenessEntry { client_id: 99, clock, state: &state };
    encode_awareness(&reynard_collab::awareness::encode_awareness_update([entry]))
}

#[tokio::test]
async fn a_stuck_document_holds_a_bounded_number_of_queued_bytes() {
    use futures_util::{SinkExt, StreamExt};
    use sqlx::Connection;
    use tokio_tungstenite::tungstenite::Message;
    let budget = 64 * 1024;
    let mut data_dir = std::path::PathBuf::new();
    let s = setup_with(|config| {
        config.collab.room_queue_bytes = budget;
        config.collab.limits.max_message_bytes = budget;
        data_dir = config.data_dir.clone();
    })
    .await;
    let url = format!("ws://{}/collab/{}?token={}", s.server.addr, s.doc, s.editor.token);
    let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let (mut sink, mut stream) = socket.split();
    // A client that reads everything it is sent, as real ones do.
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });

    // Another writer holds the database: the document's next append waits.
    let mut lock = sqlx::SqliteConnection::connect(&reynard_store::Store::sqlite_url(&data_dir)).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut lock).await.unwrap();
    let doc = yrs::Doc::new();
    let update = {
        let text = doc.get_or_insert_text("monaco");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "stuck;");
        txn.encode_update_v1()
    };
    sink.send(Message::Binary(reynard_collab::protocol::encode_update(&update).into())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // 500 messages of 40 KB (20 MB) while the document cannot take them.
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let progress = sent.clone();
    let sender = tokio::spawn(async move {
        for clock in 1..=500 {
            sink.send(Message::Binary(heavy_awareness(clock, 40_000).into())).await.unwrap();
            progress.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        sink
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let while_stuck = sent.load(std::sync::atomic::Ordering::SeqCst);
    // The server read the budget's worth and stopped reading; only the
    // sockets' buffers (a few MB on loopback) took more.
    assert!(while_stuck < 250, "{while_stuck} of 500 messages (40 KB each) went in while the document was stuck");

    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    let mut sink = tokio::time::timeout(Duration::from_secs(20), sender).await.expect("sending resumes").unwrap();
    assert_eq!(content(&s.server, &s.doc, &s.owner.token).await, "stuck;");
    sink.close().await.unwrap();
    reader.await.unwrap();
}
