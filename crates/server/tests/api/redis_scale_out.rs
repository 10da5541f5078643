//! Several processes of one deployment, each with its own connection to a real
//! Redis (`REYNARD_TEST_REDIS_URL`) and one real PostgreSQL database
//! (`REYNARD_TEST_DATABASE_URL`, a schema per test): edits on three processes
//! converge and are all stored; Redis dropping its connections loses nothing;
//! the snapshot race keeps every edit; access changes, chat and reminders
//! cross processes (reminders once).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use reynard_fanout::RedisFanout;
use reynard_server::config::Config;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::collab::Client;
use crate::support::{TestServer, TestUser};

/// `CLIENT KILL` drops the subscriber connections of every test on the Redis
/// server, not only its own: the test that sends it runs while no other test
/// of this file does.
static REDIS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// A deployment's shared parts: the database URL (a schema of its own) and
/// the Redis URL with a channel prefix of its own.
#[derive(Clone)]
struct Deployment {
    database_url: String,
    redis_url: String,
    prefix: String,
    /// The test's hold on the Redis server (shared, or alone), until it ends.
    _hold: Arc<dyn std::any::Any + Send + Sync>,
}

/// A deployment sharing the Redis server with the other tests.
async fn deployment() -> Option<Deployment> {
    deployment_holding(false).await
}

async fn deployment_holding(alone: bool) -> Option<Deployment> {
    let (Ok(database), Ok(redis_url)) =
        (std::env::var("REYNARD_TEST_DATABASE_URL"), std::env::var("REYNARD_TEST_REDIS_URL"))
    else {
        eprintln!("\n!!! SKIPPED: scale-out tests need REYNARD_TEST_DATABASE_URL and REYNARD_TEST_REDIS_URL\n");
        return None;
    };
    let unique = format!(
        "s{}_{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    );
    let schema = format!("t_{unique}");
    let admin = reynard_store::Store::connect(&database).await.expect("REYNARD_TEST_DATABASE_URL must be reachable");
    admin.execute_raw(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
    admin.close().await;
    let sep = if database.contains('?') { '&' } else { '?' };
    let database_url = format!("{database}{sep}options=-c%20search_path%3D{schema}");
    let hold: Arc<dyn std::any::Any + Send + Sync> =
        if alone { Arc::new(REDIS.write().await) } else { Arc::new(REDIS.read().await) };
    Some(Deployment { database_url, redis_url, prefix: format!("test-{unique}"), _hold: hold })
}

impl Deployment {
    /// One more process of the deployment.
    async fn process(&self, tune: impl FnOnce(&mut Config)) -> TestServer {
        let fanout = RedisFanout::connect(&self.redis_url, &self.prefix).expect("redis url");
        assert!(fanout.wait_connected(Duration::from_secs(10)).await, "Redis must be reachable");
        let url = self.database_url.clone();
        TestServer::start_with_fanout(
            move |config| {
                config.database_url = url;
                tune(config);
            },
            Arc::new(fanout),
        )
        .await
    }
}

async fn shared_document(server: &TestServer, owner: &TestUser) -> (String, String) {
    let ws = server.workspace(owner, "Team").await;
    let (status, doc) =
        server.post(&format!("/api/v1/workspaces/{ws}/documents"), &owner.token, json!({ "path": "a.txt" })).await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    (ws, doc["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn edits_on_three_processes_converge_and_are_all_stored() {
    let Some(deployment) = deployment().await else { return };
    let servers =
        [deployment.process(|_| {}).await, deployment.process(|_| {}).await, deployment.process(|_| {}).await];
    let owner = servers[0].signup("owner@example.org").await;
    let (_, doc) = shared_document(&servers[0], &owner).await;
    let mut clients = Vec::new();
    for server in &servers {
        let mut client = Client::connect(server, &doc, &owner.token).await;
        client.until("the initial sync", |c| c.text().is_empty()).await;
        clients.push(client);
    }
    for i in 0..20 {
        for (n, client) in clients.iter_mut().enumerate() {
            client.insert(0, &format!("p{n}-{i};")).await;
        }
    }
    for client in &mut clients {
        client.until("all 60 inserts", |c| c.text().matches(';').count() == 60).await;
    }
    let text = clients[0].text();
    assert!(clients.iter().all(|c| c.text() == text), "every client converged");
    for server in &servers {
        assert_eq!(crate::collab::content(server, &doc, &owner.token).await, text, "every process serves it");
    }
    // Every update is in PostgreSQL: a new process, without the document open, reads it all.
    let fresh = deployment.process(|_| {}).await;
    assert_eq!(crate::collab::content(&fresh, &doc, &owner.token).await, text);
}

#[tokio::test]
async fn redis_dropping_its_connections_loses_nothing() {
    let Some(deployment) = deployment_holding(true).await else { return };
    let (a, b) = (deployment.process(|_| {}).await, deployment.process(|_| {}).await);
    let owner = a.signup("owner@example.org").await;
    let (_, doc) = shared_document(&a, &owner).await;
    let mut writer = Client::connect(&a, &doc, &owner.token).await;
    let mut reader = Client::connect(&b, &doc, &owner.token).await;
    reader.until("the initial sync", |c| c.text().is_empty()).await;
    writer.insert(0, "before;").await;
    reader.until("the first edit", |c| c.text() == "before;").await;

    // Redis drops every subscriber connection; edits go on meanwhile.
    let mut admin =
        redis::Client::open(deployment.redis_url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let _: redis::Value =
        redis::cmd("CLIENT").arg("KILL").arg("TYPE").arg("pubsub").query_async(&mut admin).await.unwrap();
    for i in 0..5 {
        writer.insert(0, &format!("during{i};")).await;
    }
    reader.until("every edit after Redis came back", |c| c.text().matches(';').count() == 6).await;
    assert_eq!(reader.text(), writer.text());
    let metrics = b.metrics().await;
    assert!(metrics.contains("reynard_fanout_connected 1"), "{metrics}");
}

#[tokio::test]
async fn the_snapshot_race_keeps_every_edit() {
    let Some(deployment) = deployment().await else { return };
    // Rooms snapshot as soon as they are idle.
    let quick = |config: &mut Config| {
        config.collab.idle_grace = Duration::from_millis(100);
        config.collab.compact_after = 1;
    };
    let (a, b) = (deployment.process(quick).await, deployment.process(quick).await);
    let owner = a.signup("owner@example.org").await;
    let (_, doc) = shared_document(&a, &owner).await;
    let mut stays = Client::connect(&b, &doc, &owner.token).await;
    stays.until("the initial sync", |c| c.text().is_empty()).await;
    stays.insert(0, "Y;").await;
    let mut leaves = Client::connect(&a, &doc, &owner.token).await;
    leaves.until("Y from the other process", |c| c.text() == "Y;").await;
    for part in ["X1;", "X2;", "X3;"] {
        let at = leaves.text().len() as u32;
        leaves.insert(at, part).await;
    }
    stays.until("the X edits", |c| c.text().matches(';').count() == 4).await;
    drop(leaves);
    // A's room snapshots once idle; B's stays open, then goes idle and snapshots too.
    tokio::time::sleep(Duration::from_millis(600)).await;
    drop(stays);
    tokio::time::sleep(Duration::from_millis(600)).await;
    for server in [&a, &b] {
        let text = crate::collab::content(server, &doc, &owner.token).await;
        assert_eq!(text.matches(';').count(), 4, "{text}");
        assert!(["Y;", "X1;", "X2;", "X3;"].iter().all(|p| text.contains(p)), "{text}");
    }
}

async fn live_tab(server: &TestServer, ws: &str, user: &TestUser) -> crate::calls::Socket {
    let url = format!("ws://{}/api/v1/workspaces/{ws}/live?token={}", server.addr, user.token);
    tokio_tungstenite::connect_async(url).await.expect("live socket").0
}

/// The next JSON event of `kind` on a live socket (others skipped).
async fn next_event(socket: &mut crate::calls::Socket, kind: &str) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} within 10 s"))
            .expect("open")
            .expect("frame");
        if let Message::Text(text) = message {
            let event: Value = serde_json::from_str(&text).unwrap();
            if event["type"] == kind {
                return event;
            }
        }
    }
}

#[tokio::test]
async fn chat_and_access_changes_cross_processes() {
    let Some(deployment) = deployment().await else { return };
    let (a, b) = (deployment.process(|_| {}).await, deployment.process(|_| {}).await);
    let owner = a.signup("owner@example.org").await;
    let member = a.signup("member@example.org").await;
    let (ws, doc) = shared_document(&a, &owner).await;
    a.add(&owner, &ws, &member, "editor").await;

    // Chat sent through A reaches the member's tab on B.
    let mut tab = live_tab(&b, &ws, &member).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, rooms) = a.get(&format!("/api/v1/workspaces/{ws}/rooms"), &owner.token).await;
    let room = rooms[0]["id"].as_str().unwrap().to_owned();
    let (status, _) =
        a.post(&format!("/api/v1/rooms/{room}/messages"), &owner.token, json!({ "text": "hello from A" })).await;
    assert_eq!(status, StatusCode::CREATED);
    let event = next_event(&mut tab, "message").await;
    assert!(event.to_string().contains("hello from A"), "{event}");

    // A downgrade on A makes the member's document socket on B read-only;
    // a removal on A closes it.
    let mut editing = Client::connect(&b, &doc, &member.token).await;
    editing.until("the initial sync", |c| c.text().is_empty()).await;
    let path = format!("/api/v1/workspaces/{ws}/members/{}", member.id);
    let (status, _) = a.call(Method::PATCH, &path, Some(&owner.token), Some(json!({ "role": "viewer" }))).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(300)).await;
    editing.insert(0, "refused;").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(crate::collab::content(&b, &doc, &owner.token).await, "", "a viewer's edit is refused on B");
    let (status, _) = a.call(Method::DELETE, &path, Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (code, reason) = editing.closed().await;
    assert_eq!(code, 1008, "{reason}");

    // Signing out on A closes the owner's sockets on B.
    let mut owners = Client::connect(&b, &doc, &owner.token).await;
    owners.until("the initial sync", |c| c.text().is_empty()).await;
    let (status, _) = a.call(Method::POST, "/api/v1/auth/logout", Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(owners.closed().await.0, 1008);
}

#[tokio::test]
async fn reminders_go_out_once_with_two_processes() {
    let Some(deployment) = deployment().await else { return };
    let Some(sink) = crate::smtp_sink::SmtpSink::start() else { return };
    let clock = reynard_server::schedule::Clock::manual("2026-10-19T08:00:00Z".parse().unwrap());
    let tune = |config: &mut Config| {
        config.mailer = Some(reynard_mail::Mailer::new(&sink.url(), "Reynard <reynard@localhost>").unwrap());
        config.schedule =
            reynard_server::schedule::ScheduleConfig { clock: clock.clone(), poll: Duration::from_millis(20) };
    };
    let (a, _b) = (deployment.process(tune).await, deployment.process(tune).await);
    let owner = a.signup("owner@example.org").await;
    let ws = a.workspace(&owner, "Team").await;
    let body = json!({
        "title": "Standup", "start": "2026-10-19T09:30", "end": "2026-10-19T09:45", "time_zone": "Europe/London",
        "rrule": "FREQ=DAILY;COUNT=3", "attendees": ["guest@elsewhere.org"], "reminders_minutes": [10, 5]
    });
    let (status, meeting) = a.post(&format!("/api/v1/workspaces/{ws}/meetings"), &owner.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    clock.set("2026-10-19T08:21:00Z".parse().unwrap());
    sink.wait_for("guest@elsewhere.org", "starts in 10 minutes").await;
    clock.set("2026-10-19T08:26:00Z".parse().unwrap());
    sink.wait_for("guest@elsewhere.org", "starts in 5 minutes").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (to, subject) in [
        ("guest@elsewhere.org", "starts in 10"),
        ("guest@elsewhere.org", "starts in 5"),
        ("owner@example.org", "starts in 10"),
    ] {
        assert_eq!(sink.matching(to, subject).len(), 1, "{subject} to {to} once, whichever process sent it");
    }
}

#[tokio::test]
async fn a_document_open_on_two_processes_gets_each_automatic_version_once() {
    let Some(deployment) = deployment().await else { return };
    let quick = |config: &mut Config| config.collab.version_after_idle = Duration::from_millis(300);
    let (a, b) = (deployment.process(quick).await, deployment.process(quick).await);
    let owner = a.signup("owner@example.org").await;
    let (_, doc) = shared_document(&a, &owner).await;
    let mut on_a = Client::connect(&a, &doc, &owner.token).await;
    let mut on_b = Client::connect(&b, &doc, &owner.token).await;
    on_b.until("the initial sync", |c| c.text().is_empty()).await;
    on_a.insert(0, "from a;").await;
    on_b.until("a's edit", |c| c.text() == "from a;").await;
    let end = on_b.text().len() as u32;
    on_b.insert(end, "from b;").await;
    on_a.until("b's edit", |c| c.text().matches(';').count() == 2).await;
    // Both rooms' idle timers run out.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, versions) = a.get(&format!("/api/v1/documents/{doc}/versions"), &owner.token).await;
    assert_eq!(status, StatusCode::OK, "{versions}");
    let seqs: Vec<i64> = versions.as_array().unwrap().iter().map(|v| v["seq"].as_i64().unwrap()).collect();
    let mut distinct = seqs.clone();
    distinct.dedup();
    assert_eq!(seqs, distinct, "no state is versioned twice: {versions}");
    assert!(!seqs.is_empty(), "{versions}");
    // The latest version holds both edits.
    let latest = versions.as_array().unwrap().iter().max_by_key(|v| v["seq"].as_i64()).unwrap();
    let (_, text) = a
        .get(&format!("/api/v1/documents/{doc}/versions/{}/content", latest["id"].as_str().unwrap()), &owner.token)
        .await;
    assert!(text.to_string().contains("from a;") && text.to_string().contains("from b;"), "{text}");
}

/// Joins `room`'s call on `server` until it is joined (a relayed socket whose
/// call's server stopped is closed, and joining again takes the call over).
async fn join_until_served(server: &TestServer, room: &str, user: &TestUser) -> crate::calls::Participant {
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let url = format!("ws://{}/api/v1/rooms/{room}/call?token={}", server.addr, user.token);
        let mut socket = tokio_tungstenite::connect_async(url).await.expect("call socket").0;
        let first = tokio::time::timeout(Duration::from_secs(30), socket.next()).await;
        if let Ok(Some(Ok(Message::Text(text)))) = first {
            let joined: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(joined["type"], "joined", "{joined}");
            return crate::calls::Participant { socket, joined };
        }
        assert!(std::time::Instant::now() < deadline, "never joined: last answer {first:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_call_is_served_by_one_process_and_reached_from_another() {
    let Some(deployment) = deployment().await else { return };
    let (a, b) = (deployment.process(|_| {}).await, deployment.process(|_| {}).await);
    let owner = a.signup("owner@example.org").await;
    let member = a.signup("member@example.org").await;
    let ws = a.workspace(&owner, "Team").await;
    a.add(&owner, &ws, &member, "editor").await;
    let (_, rooms) = a.get(&format!("/api/v1/workspaces/{ws}/rooms"), &owner.token).await;
    let room = rooms[0]["id"].as_str().unwrap().to_owned();

    // The owner's socket on A makes A serve the call; the member's on B is relayed there.
    let mut on_a = crate::calls::Participant::join(&a, &room, &owner).await;
    let mut on_b = crate::calls::Participant::join(&b, &room, &member).await;
    assert_eq!(on_b.joined["participants"].as_array().unwrap().len(), 2, "{}", on_b.joined);
    let joined = on_a.next_of("participant_joined").await;
    assert_eq!(joined["participant"]["id"], on_b.id());

    // The member publishes through B and gets the answer of A's SFU.
    let (sdp, tracks) = crate::calls::publish_offer();
    on_b.send(json!({ "type": "publish_offer", "sdp": sdp, "tracks": tracks })).await;
    let answer = on_b.next_of("publish_answer").await;
    assert!(answer["sdp"].as_str().unwrap().contains("a=candidate"), "{answer}");
    // A bad frame gets the owner's error back.
    on_b.send(json!({ "type": "no_such_command" })).await;
    assert_eq!(on_b.next_of("error").await["code"], "invalid_command");
    // Leaving on B is heard on A.
    drop(on_b);
    assert_eq!(on_a.next_of("participant_left").await["reason"], "disconnected");

    // A stops: the member joins again through B, which takes the call over.
    let again = crate::calls::Participant::join(&b, &room, &member).await;
    assert_eq!(again.joined["participants"].as_array().unwrap().len(), 2);
    drop(on_a);
    a.stop().await.unwrap();
    drop(again);
    let served = join_until_served(&b, &room, &member).await;
    assert_eq!(served.joined["participants"].as_array().unwrap().len(), 1, "{}", served.joined);
}
