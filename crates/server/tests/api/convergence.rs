//! Property: clients making random concurrent inserts and deletes through the
//! server all end with the text of a reference document that applied every
//! update they made.

use std::time::Duration;

use proptest::prelude::*;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, Transact, Update};

use crate::collab::Client;
use crate::support::TestServer;

#[derive(Debug, Clone)]
enum Op {
    /// Insert `text` at `at` (a fraction of the current length, in ‰).
    Insert { client: usize, at: u32, text: String },
    /// Delete up to `len` characters from `at` (‰ of the length).
    Delete { client: usize, at: u32, len: u32 },
    /// Let `client` read what has arrived.
    Read { client: usize },
}

fn op(clients: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..clients, 0..=1000u32, "[a-z]{1,4}").prop_map(|(client, at, text)| Op::Insert { client, at, text }),
        1 => (0..clients, 0..=1000u32, 1..4u32).prop_map(|(client, at, len)| Op::Delete { client, at, len }),
        2 => (0..clients).prop_map(|client| Op::Read { client }),
    ]
}

async fn run(ops: Vec<Op>, clients: usize) {
    let server = TestServer::start().await;
    let owner = server.signup("owner@example.org").await;
    let ws = server.workspace(&owner, "Team").await;
    let (_, doc) = server
        .post(&format!("/api/v1/workspaces/{ws}/documents"), &owner.token, serde_json::json!({ "path": "p.txt" }))
        .await;
    let doc = doc["id"].as_str().unwrap().to_owned();
    let mut peers = Vec::new();
    for _ in 0..clients {
        peers.push(Client::connect(&server, &doc, &owner.token).await);
    }
    let mut made = Vec::new();
    for op in ops {
        match op {
            Op::Insert { client, at, text } => {
                let peer = &mut peers[client];
                let len = peer.text().len() as u32;
                made.push(peer.insert(len * at / 1000, &text).await);
            }
            Op::Delete { client, at, len } => {
                let peer = &mut peers[client];
                let total = peer.text().len() as u32;
                if total > 0 {
                    let start = (total * at / 1000).min(total - 1);
                    made.push(peer.delete(start, len.min(total - start)).await);
                }
            }
            Op::Read { client } => peers[client].drain(Duration::from_millis(1)).await,
        }
    }
    let reference = Doc::new();
    for update in &made {
        reference.transact_mut().apply_update(Update::decode_v1(update).unwrap()).unwrap();
    }
    let expected = reference.get_or_insert_text("monaco").get_string(&reference.transact());
    for peer in &mut peers {
        let expected = expected.clone();
        peer.until("the reference text", move |c| c.text() == expected).await;
    }
    let content = crate::collab::content(&server, &doc, &owner.token).await;
    assert_eq!(content, expected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn random_concurrent_edits_converge_to_the_reference(ops in prop::collection::vec(op(4), 1..60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(ops, 4));
    }
}
