//! History benchmark: a document built from N single-character updates (default
//! 100,000, typed as a person types: mostly appends, some newlines, some
//! deletions and edits in the middle) through a real room (durable log on
//! SQLite), with an automatic version every 1,000 updates. Then measures:
//! - the time to rebuild the text of each version (report p50/max),
//! - the time of a line diff between two versions and between a version and now,
//! - the storage of history (versions + snapshot + log) against the compacted document.
//!
//! Usage: `reynard-bench-history [updates]` — prints one JSON object.

use std::sync::Arc;
use std::time::Instant;

use reynard_collab::history::{DIFF_BUDGET, Rebuilt, line_diff};
use reynard_fanout::InProcessFanout;
use reynard_proto::DocumentId;
use reynard_server::collab::CollabConfig;
use reynard_server::collab::hub::DocHub;
use reynard_server::collab::room_task::VersionKind;
use reynard_store::Store;
use yrs::{Doc, GetString, Text, Transact};

const VERSION_EVERY: usize = 1000;

/// A tiny deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let updates: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&Store::sqlite_url(dir.path())).await.expect("store");
    let user = store
        .create_user(reynard_store::NewUser { email: "b@example.org".into(), name: "B".into(), password_hash: "x".into() })
        .await
        .expect("user");
    let ws = store.create_workspace(&user.id, "Bench").await.expect("workspace");
    let doc = store.create_document(&ws.id, "bench.txt", "plaintext", &user.id).await.expect("document");
    let config = CollabConfig { compact_after: 2000, ..CollabConfig::default() };
    let hub = DocHub::new(store.clone(), config, Arc::new(InProcessFanout::default()));

    // The "client": a yrs document whose every single-character edit is one update.
    let client = Doc::new();
    let text = client.get_or_insert_text("monaco");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let mut version_ids = Vec::new();
    for i in 0..updates {
        let update = {
            let mut txn = client.transact_mut();
            let len = text.len(&txn);
            let roll = rng.next() % 100;
            if roll < 8 && len > 0 {
                let at = (rng.next() % u64::from(len)) as u32;
                text.remove_range(&mut txn, at, 1);
            } else if roll < 15 && len > 0 {
                let at = (rng.next() % u64::from(len)) as u32;
                text.insert(&mut txn, at, "x");
            } else if roll < 17 {
                text.insert(&mut txn, len, "\n");
            } else {
                let c = (b'a' + (rng.next() % 26) as u8) as char;
                text.insert(&mut txn, len, &c.to_string());
            }
            txn.encode_update_v1()
        };
        hub.apply(&doc.id, update, user.id.clone()).await.expect("apply");
        if (i + 1) % VERSION_EVERY == 0 {
            let version = hub.create_version(&doc.id, VersionKind::Auto, None).await.expect("version");
            version_ids.push(version.expect("recorded").id);
        }
    }
    let build_seconds = started.elapsed().as_secs_f64();
    let final_text = text.get_string(&client.transact());
    assert_eq!(hub.text(&doc.id).await.expect("text"), final_text, "the room holds what was typed");

    // Version texts.
    let mut rebuild_ms = Vec::new();
    for id in &version_ids {
        let t = Instant::now();
        let updates = store.version_updates(&doc.id, id).await.expect("version updates");
        let rebuilt = Rebuilt::from_updates(updates.iter().map(Vec::as_slice)).expect("rebuild");
        let _ = rebuilt.text();
        rebuild_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let last_text = {
        let updates = store.version_updates(&doc.id, version_ids.last().expect("versions")).await.expect("updates");
        Rebuilt::from_updates(updates.iter().map(Vec::as_slice)).expect("rebuild").text()
    };
    assert_eq!(last_text, final_text, "the last version is exact");
    let mut sorted = rebuild_ms.clone();
    sorted.sort_by(f64::total_cmp);

    // Diffs: first version against the last, and a middle version against now.
    let first = {
        let updates = store.version_updates(&doc.id, &version_ids[0]).await.expect("updates");
        Rebuilt::from_updates(updates.iter().map(Vec::as_slice)).expect("rebuild").text()
    };
    let middle = {
        let updates = store.version_updates(&doc.id, &version_ids[version_ids.len() / 2]).await.expect("updates");
        Rebuilt::from_updates(updates.iter().map(Vec::as_slice)).expect("rebuild").text()
    };
    let t = Instant::now();
    let hunks_far = line_diff(&first, &final_text, 3, DIFF_BUDGET).hunks.len();
    let diff_far_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let hunks_mid = line_diff(&middle, &final_text, 3, DIFF_BUDGET).hunks.len();
    let diff_mid_ms = t.elapsed().as_secs_f64() * 1000.0;

    // Storage, after the room went idle (it compacts then).
    hub.shutdown().await;
    let sizes = store.history_storage(&DocumentId::new(doc.id.as_str())).await.expect("sizes");
    let compacted = Rebuilt::from_updates([hub_state(&store, &doc.id).await.as_slice()]).expect("state").encode_state().len();
    let result = format!(
        concat!(
            "{{\"updates\":{},\"versions\":{},\"text_chars\":{},\"build_seconds\":{:.1},",
            "\"version_text_ms\":{{\"p50\":{:.2},\"p99\":{:.2},\"max\":{:.2}}},",
            "\"diff_ms\":{{\"first_vs_now\":{:.2},\"middle_vs_now\":{:.2},\"hunks\":[{},{}]}},",
            "\"storage_bytes\":{{\"versions\":{},\"snapshot\":{},\"log\":{},\"compacted_document\":{},",
            "\"history_over_compacted\":{:.2}}}}}"
        ),
        updates,
        version_ids.len(),
        final_text.chars().count(),
        build_seconds,
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.99),
        sorted.last().copied().unwrap_or(0.0),
        diff_far_ms,
        diff_mid_ms,
        hunks_far,
        hunks_mid,
        sizes.versions,
        sizes.snapshot,
        sizes.log,
        compacted,
        (sizes.versions + sizes.snapshot) as f64 / compacted.max(1) as f64,
    );
    println!("{result}");
}

async fn hub_state(store: &Store, doc: &DocumentId) -> Vec<u8> {
    let state = store.load_document_state(doc).await.expect("state");
    let parts: Vec<&[u8]> =
        state.snapshot.iter().map(|(_, d)| d.as_slice()).chain(state.updates.iter().map(|(_, d)| d.as_slice())).collect();
    Rebuilt::from_updates(parts).expect("rebuild").encode_state()
}
