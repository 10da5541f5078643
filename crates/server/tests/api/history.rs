//! Version history and branches: automatic and named versions, exact content,
//! diffs, restore with live clients, branch + concurrent edits + merge, double
//! merge, viewers, and persistence across a restart.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::collab::{Client, Setup, content, setup_with};
use crate::support::{TestServer, assert_error};

async fn put(s: &Setup, text: &str) {
    let url = s.server.url(&format!("/api/v1/documents/{}/content", s.doc));
    let response = s.server.client.put(url).bearer_auth(&s.editor.token).body(text.to_owned()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

async fn name_version(s: &Setup, name: &str) -> Value {
    let (status, version) =
        s.server.post(&format!("/api/v1/documents/{}/versions", s.doc), &s.editor.token, json!({ "name": name })).await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    version
}

async fn versions(s: &Setup) -> Vec<Value> {
    let (status, list) = s.server.get(&format!("/api/v1/documents/{}/versions", s.doc), &s.viewer.token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

async fn version_text(server: &TestServer, doc: &str, version: &str, token: &str) -> String {
    let url = server.url(&format!("/api/v1/documents/{doc}/versions/{version}/content"));
    let response = server.client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

#[tokio::test]
async fn named_and_automatic_versions_with_exact_content_and_diffs() {
    let s = setup_with(|config| config.collab.version_after_idle = Duration::from_millis(150)).await;
    let mut client = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    client.insert(0, "fn main() {}\n").await;
    // An automatic version follows once the burst of editing ends.
    let mut auto = Vec::new();
    for _ in 0..100 {
        auto = versions(&s).await;
        if !auto.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(auto.len(), 1, "one automatic version: {auto:?}");
    assert_eq!(auto[0]["kind"], "auto");
    assert_eq!(auto[0]["author_ids"], json!([s.editor.id]));
    assert_eq!(auto[0]["summary"], json!({ "added": 1, "removed": 0 }));

    put(&s, "fn main() {\n    println!(\"hi\");\n}\n").await;
    let named = name_version(&s, "  first draft ").await;
    assert_eq!(named["name"], "first draft");
    assert_eq!(named["kind"], "named");
    assert_eq!(named["summary"], json!({ "added": 3, "removed": 1 }));
    let named_id = named["id"].as_str().unwrap().to_owned();
    put(&s, "fn main() {}\n// later\n").await;

    let list = versions(&s).await;
    let kinds: Vec<_> = list.iter().map(|v| v["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[..2], ["named", "auto"], "newest first: {list:?}");
    let auto_id = list.iter().find(|v| v["kind"] == "auto").unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(version_text(&s.server, &s.doc, &auto_id, &s.viewer.token).await, "fn main() {}\n");
    assert_eq!(
        version_text(&s.server, &s.doc, &named_id, &s.viewer.token).await,
        "fn main() {\n    println!(\"hi\");\n}\n"
    );

    let (status, diff) =
        s.server.get(&format!("/api/v1/documents/{}/diff?from={auto_id}&to={named_id}", s.doc), &s.viewer.token).await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!(
        diff,
        json!({ "hunks": [{ "old_start": 1, "old_lines": 1, "new_start": 1, "new_lines": 3,
            "lines": ["-fn main() {}", "+fn main() {", "+    println!(\"hi\");", "+}"] }], "coarse": false })
    );
    let (_, to_now) =
        s.server.get(&format!("/api/v1/documents/{}/diff?from={named_id}&to=current", s.doc), &s.viewer.token).await;
    assert!(to_now["hunks"][0]["lines"].as_array().unwrap().contains(&json!("+// later")), "{to_now}");
    let missing = s.server.get(&format!("/api/v1/documents/{}/diff?from=nope", s.doc), &s.viewer.token).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "not_found");
    let restore_missing =
        s.server.post(&format!("/api/v1/documents/{}/versions/nope/restore", s.doc), &s.editor.token, json!({})).await;
    assert_error(&restore_missing, StatusCode::NOT_FOUND, "not_found");
    let no_from = s.server.get(&format!("/api/v1/documents/{}/diff", s.doc), &s.viewer.token).await;
    assert_eq!(no_from.0, StatusCode::BAD_REQUEST);
}

/// Two texts of 100,000 lines with no line in common: the diff used to need
/// memory in the square of the length (gigabytes) and minutes of CPU; it now
/// answers within its time budget, with honest counts.
/// `GET …/diff?from=&to=` as a viewer: the answer, which must come within 2 s.
async fn diff_within_two_seconds(s: &Setup, from: &str, to: &str) -> (Value, Duration) {
    let started = std::time::Instant::now();
    let (status, diff) =
        s.server.get(&format!("/api/v1/documents/{}/diff?from={from}&to={to}", s.doc), &s.viewer.token).await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert!(took < Duration::from_secs(2), "the diff took {took:?}");
    (diff, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diffs_of_large_texts_with_nothing_in_common_answer_quickly() {
    let s = setup_with(|_| {}).await;
    let old: String = (0..100_000).map(|i| format!("old line {i}\n")).collect();
    let new: String = (0..100_000).map(|i| format!("new line {i}\n")).collect();
    put(&s, &old).await;
    let from = name_version(&s, "old").await;
    put(&s, &new).await;
    let to = name_version(&s, "new").await;
    assert_eq!(to["summary"], json!({ "added": 100_000, "removed": 100_000 }), "honest counts");
    let (from, to) = (from["id"].as_str().unwrap(), to["id"].as_str().unwrap());

    let (diff, took) = diff_within_two_seconds(&s, from, to).await;
    eprintln!("disjoint 100,000-line diff answered in {took:?}, coarse {}", diff["coarse"]);
    let lines: Vec<&str> = diff["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["lines"].as_array().unwrap())
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(lines.iter().filter(|l| l.starts_with('-')).count(), 100_000);
    assert_eq!(lines.iter().filter(|l| l.starts_with('+')).count(), 100_000);
    assert!(diff["coarse"].is_boolean(), "{}", diff["coarse"]);

    // The server is still responsive, and the present diffs the same way.
    let (status, _) =
        s.server.get(&format!("/api/v1/documents/{}/diff?from={from}&to=current", s.doc), &s.viewer.token).await;
    assert_eq!(status, StatusCode::OK);

    // Few distinct lines in another order: every line matches thousands of
    // others, the hardest input for Myers. The search runs out of its budget
    // and the answer is one coarse hunk, with exact counts.
    let tangled = |seed: u64| {
        let mut x = seed;
        (0..100_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                format!("token {}\n", x % 64)
            })
            .collect::<String>()
    };
    put(&s, &tangled(0x9E37_79B9_7F4A_7C15)).await;
    let from = name_version(&s, "tangled old").await["id"].as_str().unwrap().to_owned();
    put(&s, &tangled(0xD1B5_4A32_D192_ED03)).await;
    let to = name_version(&s, "tangled new").await["id"].as_str().unwrap().to_owned();
    let (diff, took) = diff_within_two_seconds(&s, &from, &to).await;
    eprintln!("tangled 100,000-line diff answered in {took:?}");
    assert_eq!(diff["coarse"], true, "the search ran out of its budget");
    let hunks = diff["hunks"].as_array().unwrap();
    assert_eq!(hunks.len(), 1, "one coarse hunk");
    let (old_lines, new_lines) = (hunks[0]["old_lines"].as_u64().unwrap(), hunks[0]["new_lines"].as_u64().unwrap());
    let lines = hunks[0]["lines"].as_array().unwrap();
    let removed = lines.iter().filter(|l| l.as_str().unwrap().starts_with('-')).count() as u64;
    let added = lines.iter().filter(|l| l.as_str().unwrap().starts_with('+')).count() as u64;
    let context = lines.len() as u64 - removed - added;
    assert_eq!((removed + context, added + context), (old_lines, new_lines), "counts match the hunk");
}

#[tokio::test]
async fn restore_reaches_every_live_client_and_is_itself_a_version() {
    let s = setup_with(|_| {}).await;
    put(&s, "version one\n").await;
    let v1 = name_version(&s, "one").await["id"].as_str().unwrap().to_owned();
    put(&s, "version two\nwith more\n").await;
    let v2 = name_version(&s, "two").await["id"].as_str().unwrap().to_owned();

    let mut a = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let mut b = Client::connect(&s.server, &s.doc, &s.viewer.token).await;
    a.until("the current text", |c| c.text() == "version two\nwith more\n").await;
    b.until("the current text", |c| c.text() == "version two\nwith more\n").await;

    let (status, restored) =
        s.server.post(&format!("/api/v1/documents/{}/versions/{v1}/restore", s.doc), &s.editor.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["version"]["kind"], "restore");
    a.until("the restored text", |c| c.text() == "version one\n").await;
    b.until("the restored text", |c| c.text() == "version one\n").await;
    assert_eq!(content(&s.server, &s.doc, &s.viewer.token).await, "version one\n");
    let kinds: Vec<_> = versions(&s).await.iter().map(|v| v["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["restore", "named", "named"]);

    // Undo the restore by restoring the version before it.
    let (status, _) =
        s.server.post(&format!("/api/v1/documents/{}/versions/{v2}/restore", s.doc), &s.editor.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    a.until("the undone restore", |c| c.text() == "version two\nwith more\n").await;
}

#[tokio::test]
async fn branch_concurrent_edits_merge_and_merge_again() {
    let s = setup_with(|_| {}).await;
    put(&s, "alpha\nbeta\ngamma\n").await;
    let base = name_version(&s, "base").await["id"].as_str().unwrap().to_owned();
    let (status, branch) = s
        .server
        .post(
            &format!("/api/v1/documents/{}/branches", s.doc),
            &s.editor.token,
            json!({ "name": "feature", "from_version": base }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{branch}");
    assert_eq!(branch["path"], "src/main@feature.rs");
    assert_eq!(branch["branch_of"], s.doc.as_str());
    assert_eq!(branch["forked_at"], base.as_str());
    let branch_id = branch["id"].as_str().unwrap().to_owned();
    assert_eq!(content(&s.server, &branch_id, &s.editor.token).await, "alpha\nbeta\ngamma\n");

    // Concurrent edits: the origin changes its first line, the branch its last.
    let mut origin_client = Client::connect(&s.server, &s.doc, &s.editor.token).await;
    let mut branch_client = Client::connect(&s.server, &branch_id, &s.editor.token).await;
    origin_client.until("origin text", |c| c.text() == "alpha\nbeta\ngamma\n").await;
    branch_client.until("branch text", |c| c.text() == "alpha\nbeta\ngamma\n").await;
    origin_client.insert(0, "ORIGIN ").await;
    branch_client.insert(17, "BRANCH ").await;
    crate::collab::server_has_public(&s.server, &branch_id, &s.editor.token, "alpha\nbeta\ngamma\nBRANCH ").await;

    let (_, listed) = s.server.get(&format!("/api/v1/documents/{}/branches", s.doc), &s.viewer.token).await;
    assert_eq!(listed[0]["unmerged"], true, "{listed}");

    let merge = format!("/api/v1/documents/{branch_id}/merge");
    let (status, merged) = s.server.post(&merge, &s.editor.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert!(merged["merged_updates"].as_i64().unwrap() >= 1, "{merged}");
    let expected = "ORIGIN alpha\nbeta\ngamma\nBRANCH ";
    origin_client.until("both sides' edits", |c| c.text() == expected).await;
    assert_eq!(content(&s.server, &s.doc, &s.viewer.token).await, expected);
    assert_eq!(versions(&s).await[0]["kind"], "merge");

    // Merging again applies nothing twice.
    let (status, again) = s.server.post(&merge, &s.editor.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["merged_updates"], 0);
    assert_eq!(content(&s.server, &s.doc, &s.viewer.token).await, expected);
    let (_, listed) = s.server.get(&format!("/api/v1/documents/{}/branches", s.doc), &s.viewer.token).await;
    assert_eq!(listed[0]["unmerged"], false);

    // More work on the branch merges again, once.
    branch_client.insert(0, "B2 ").await;
    crate::collab::server_has_public(&s.server, &branch_id, &s.editor.token, "B2 alpha\nbeta\ngamma\nBRANCH ").await;
    let (_, third) = s.server.post(&merge, &s.editor.token, json!({})).await;
    assert_eq!(third["merged_updates"], 1);
    // Both inserted at the start concurrently: the CRDT orders them, either way.
    let merged_twice = ["B2 ORIGIN alpha\nbeta\ngamma\nBRANCH ", "ORIGIN B2 alpha\nbeta\ngamma\nBRANCH "];
    origin_client.until("the second merge", |c| merged_twice.contains(&c.text().as_str())).await;
    let not_branch = s.server.post(&format!("/api/v1/documents/{}/merge", s.doc), &s.editor.token, json!({})).await;
    assert_error(&not_branch, StatusCode::CONFLICT, "not_a_branch");
}

#[tokio::test]
async fn viewers_may_read_history_but_not_change_it() {
    let s = setup_with(|_| {}).await;
    put(&s, "text\n").await;
    let v = name_version(&s, "v").await["id"].as_str().unwrap().to_owned();
    let doc = &s.doc;
    let token = Some(s.viewer.token.as_str());
    let denied = [
        (Method::POST, format!("/api/v1/documents/{doc}/versions"), Some(json!({ "name": "x" }))),
        (Method::POST, format!("/api/v1/documents/{doc}/versions/{v}/restore"), None),
        (Method::POST, format!("/api/v1/documents/{doc}/branches"), Some(json!({ "name": "b" }))),
        (Method::POST, format!("/api/v1/documents/{doc}/merge"), None),
    ];
    for (method, path, body) in denied {
        let answer = s.server.call(method, &path, token, body).await;
        assert_error(&answer, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_eq!(version_text(&s.server, doc, &v, &s.viewer.token).await, "text\n");
    assert_eq!(versions(&s).await.len(), 1, "nothing was recorded by the viewer");
}

#[tokio::test]
async fn versions_and_branches_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let s = setup_with(|config| crate::support::store_in(config, &data)).await;
    let mut ids = Vec::new();
    // More versions than a checkpoint interval, so that deltas are used.
    for i in 0..20 {
        put(&s, &format!("line {i}\n").repeat(i + 1)).await;
        ids.push(name_version(&s, &format!("v{i}")).await["id"].as_str().unwrap().to_owned());
    }
    let (_, branch) = s
        .server
        .post(&format!("/api/v1/documents/{}/branches", s.doc), &s.editor.token, json!({ "name": "keep" }))
        .await;
    let (doc, token) = (s.doc.clone(), s.viewer.token.clone());
    s.server.stop().await.unwrap();

    let again = TestServer::start_with(|config| crate::support::store_in(config, &data)).await;
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(version_text(&again, &doc, id, &token).await, format!("line {i}\n").repeat(i + 1), "v{i}");
    }
    let (_, listed) = again.get(&format!("/api/v1/documents/{doc}/branches"), &token).await;
    assert_eq!(listed[0]["id"], branch["id"]);
    assert_eq!(content(&again, branch["id"].as_str().unwrap(), &token).await, "line 19\n".repeat(20));
}
