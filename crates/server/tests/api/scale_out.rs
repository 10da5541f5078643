//! Two servers on one database and one fan-out, as two processes of a
//! scaled-out deployment: clients on either converge, sequence conflicts are
//! resolved by catching up from the log, lost fan-out messages are filled
//! from the log, and access changes missed while the bus was cut are applied
//! when it comes back.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use reynard_bus::{Bus, Delivery, Payload, ProcessId, Published, SubscriptionId, Topic};
use reynard_fanout::InProcessFanout;
use reynard_proto::DocumentId;
use serde_json::json;

use crate::collab::Client;
use crate::support::TestServer;

/// A fan-out that loses messages, as a real one does: every third update
/// when `lose_updates` is set, and every access change while it is cut (as
/// while its connection to the other processes is down); healing says that
/// events may have been missed.
#[derive(Debug, Default)]
struct LossyFanout {
    inner: InProcessFanout,
    lose_updates: bool,
    updates: AtomicUsize,
    dropped: Mutex<Vec<i64>>,
    cut: AtomicBool,
}

impl LossyFanout {
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
        self.inner.publish(Published { origin: ProcessId(0), topic: Topic::Control, payload: Payload::Resync });
    }
}

impl Bus for LossyFanout {
    fn publish(&self, event: Published) {
        if let (true, Payload::Update { seq, .. }) = (self.lose_updates, &event.payload)
            && self.updates.fetch_add(1, Ordering::Relaxed).is_multiple_of(3)
        {
            self.dropped.lock().unwrap().push(*seq);
            return;
        }
        if event.topic == Topic::Control && self.cut.load(Ordering::SeqCst) {
            return;
        }
        self.inner.publish(event);
    }

    fn subscribe(&self, topic: &Topic, deliver: Delivery) -> SubscriptionId {
        self.inner.subscribe(topic, deliver)
    }

    fn unsubscribe(&self, topic: &Topic, id: SubscriptionId) {
        self.inner.unsubscribe(topic, id)
    }

    fn has_peers(&self, topic: &Topic, subscribed: SubscriptionId) -> bool {
        self.inner.has_peers(topic, subscribed)
    }
}

async fn pair(fanout: Arc<dyn Bus>) -> (TestServer, TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let a = TestServer::start_with_fanout(|config| crate::support::store_in(config, &data), fanout.clone()).await;
    let b = TestServer::start_with_fanout(|config| crate::support::store_in(config, &data), fanout).await;
    (a, b, dir)
}

async fn shared_document(a: &TestServer) -> (String, String) {
    let owner = a.signup("owner@example.org").await;
    let ws = a.workspace(&owner, "Team").await;
    let (_, doc) =
        a.post(&format!("/api/v1/workspaces/{ws}/documents"), &owner.token, json!({ "path": "a.txt" })).await;
    (doc["id"].as_str().unwrap().to_owned(), owner.token)
}

#[tokio::test]
async fn clients_on_two_servers_converge_through_the_fanout_and_the_log() {
    let (a, b, _dir) = pair(Arc::new(InProcessFanout::default())).await;
    let (doc, token) = shared_document(&a).await;
    let mut on_a = Client::connect(&a, &doc, &token).await;
    let mut on_b = Client::connect(&b, &doc, &token).await;
    // Concurrent writers on both servers contend for the same sequence numbers.
    for i in 0..40 {
        on_a.insert(0, &format!("a{i};")).await;
        on_b.insert(0, &format!("b{i};")).await;
    }
    let done = |c: &Client| c.text().matches(';').count() == 80;
    on_a.until("all 80 inserts on a", done).await;
    on_b.until("all 80 inserts on b", done).await;
    assert_eq!(on_a.text(), on_b.text());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let via_a = crate::collab::content(&a, &doc, &token).await;
    let via_b = crate::collab::content(&b, &doc, &token).await;
    assert_eq!(via_a, on_a.text());
    assert_eq!(via_b, on_a.text());
}

#[tokio::test]
async fn lost_fanout_messages_are_caught_up_from_the_log() {
    let lossy = Arc::new(LossyFanout { lose_updates: true, ..LossyFanout::default() });
    let (a, b, _dir) = pair(lossy.clone()).await;
    let (doc, token) = shared_document(&a).await;
    let mut writer = Client::connect(&a, &doc, &token).await;
    let mut reader = Client::connect(&b, &doc, &token).await;
    // Wait until both rooms are open before writing.
    reader.until("the initial sync", |c| c.text().is_empty()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    for i in 0..10 {
        writer.insert(0, &format!("{i};")).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The last message must arrive for the reader to notice a gap; send one more.
    writer.insert(0, "end;").await;
    reader.until("every insert, lost ones included", |c| c.text().matches(';').count() == 11).await;
    assert!(!lossy.dropped.lock().unwrap().is_empty(), "the test lost some messages");
}

/// The log entries a document still has, by sequence number.
async fn logged_seqs(store: &reynard_store::Store, doc: &str) -> Vec<i64> {
    store.updates_since(&DocumentId::new(doc), 0).await.unwrap().into_iter().map(|(seq, _)| seq).collect()
}

/// A stored update that does not apply (written by another process, or damaged
/// on disk) is never skipped: the room closes its clients with 1011 instead of
/// moving past it, and no compaction deletes it — whether it arrives through
/// the fan-out or is found while catching up from the log.
#[tokio::test]
async fn an_update_that_does_not_apply_closes_the_room_and_stays_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let fanout = Arc::new(InProcessFanout::default());
    // Compact at once: a room that moved past the bad entry would fold it away.
    let tune = |config: &mut reynard_server::config::Config| {
        crate::support::store_in(config, &data);
        config.collab.compact_after = 1;
    };
    let server = TestServer::start_with_fanout(tune, fanout.clone()).await;
    let store = reynard_store::Store::open(&reynard_store::Store::sqlite_url(&data)).await.unwrap();
    let (doc, token) = shared_document(&server).await;
    let garbage: Arc<[u8]> = Arc::from(&[0xff_u8, 0xff, 0xff, 0x01][..]);
    let bad = |seq| reynard_store::documents::NewUpdate { seq, data: &garbage, user: None };

    // Through the fan-out: another process announces entry 2.
    let mut client = Client::connect(&server, &doc, &token).await;
    client.insert(0, "kept").await;
    crate::collab::server_has_public(&server, &doc, &token, "kept").await;
    store.append_updates(&DocumentId::new(&doc), &[bad(2)]).await.unwrap();
    fanout.publish(Published {
        origin: reynard_bus::ProcessId(u64::MAX),
        topic: Topic::Document(DocumentId::new(&doc)),
        payload: Payload::Update { seq: 2, update: garbage.clone() },
    });
    let (code, reason) = client.closed().await;
    assert_eq!(code, 1011, "{reason}");
    // The room is gone (it did not compact on its way out); reopening the
    // document fails the same way rather than losing the entry.
    let mut again = Client::connect(&server, &doc, &token).await;
    assert_eq!(again.closed().await.0, 1011);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(logged_seqs(&store, &doc).await.contains(&2), "the entry that does not apply is kept");

    // Through catch-up: the room's next append finds entry 2 taken.
    let (other, token) = {
        let owner = server.signup("second@example.org").await;
        let ws = server.workspace(&owner, "Second").await;
        let (_, doc) =
            server.post(&format!("/api/v1/workspaces/{ws}/documents"), &owner.token, json!({ "path": "b.txt" })).await;
        (doc["id"].as_str().unwrap().to_owned(), owner.token)
    };
    let mut client = Client::connect(&server, &other, &token).await;
    client.insert(0, "kept").await;
    // The room has logged entry 1 once its text answers with it (the client's
    // own text says "kept" at once, before any echo).
    crate::collab::server_has_public(&server, &other, &token, "kept").await;
    store.append_updates(&DocumentId::new(&other), &[bad(2)]).await.unwrap();
    client.insert(0, "more ").await;
    let (code, reason) = client.closed().await;
    assert_eq!(code, 1011, "{reason}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(logged_seqs(&store, &other).await.contains(&2), "the entry that does not apply is kept");
    server.stop().await.unwrap();
    assert!(logged_seqs(&store, &other).await.contains(&2), "not folded away at shutdown either");
}

#[tokio::test]
async fn access_changes_missed_while_the_bus_was_cut_apply_when_it_heals() {
    let bus = Arc::new(LossyFanout::default());
    let (a, b, _dir) = pair(bus.clone()).await;
    let owner = a.signup("owner@example.org").await;
    let ws = a.workspace(&owner, "Team").await;
    let (_, doc) =
        a.post(&format!("/api/v1/workspaces/{ws}/documents"), &owner.token, json!({ "path": "a.txt" })).await;
    let doc = doc["id"].as_str().unwrap().to_owned();
    let (leaving, demoted) = (a.signup("leaving@example.org").await, a.signup("demoted@example.org").await);
    a.add(&owner, &ws, &leaving, "editor").await;
    a.add(&owner, &ws, &demoted, "editor").await;
    let synced = |user: &crate::support::TestUser| {
        let token = user.token.clone();
        let (b, doc) = (&b, &doc);
        async move {
            let mut client = Client::connect(b, doc, &token).await;
            client.until("the initial sync", |c| c.text().is_empty()).await;
            client
        }
    };
    let mut leaving_socket = synced(&leaving).await;
    let mut demoted_socket = synced(&demoted).await;
    let mut owner_socket = synced(&owner).await;

    // On A, while B hears nothing: a removal, a downgrade, a sign-out.
    bus.cut();
    let member = |user: &crate::support::TestUser| format!("/api/v1/workspaces/{ws}/members/{}", user.id);
    let (status, _) = a.call(Method::DELETE, &member(&leaving), Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) =
        a.call(Method::PATCH, &member(&demoted), Some(&owner.token), Some(json!({ "role": "viewer" }))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = a.call(Method::POST, "/api/v1/auth/logout", Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // B missed all three: its sockets are still open.
    let still_open = tokio::time::timeout(Duration::from_millis(300), leaving_socket.closed()).await;
    assert!(still_open.is_err(), "the removal was not lost: {still_open:?}");

    bus.heal();
    assert_eq!(leaving_socket.closed().await, (1008, "your access to this workspace was removed".to_owned()));
    assert_eq!(owner_socket.closed().await, (1008, "signed out".to_owned()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    demoted_socket.insert(0, "refused;").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(crate::collab::content(&b, &doc, &demoted.token).await, "", "the viewer's edit is refused on B");
}
