//! The property the `frame` fuzz target and the fixed-seed frame test both check: whatever
//! bytes a writer sends, the room keeps answering, a refused frame leaves the document exactly
//! as it was, and the updates an accepted frame returns are all it takes to persist it. The
//! frame's messages sent as frames of their own, all at once (`DocRoom::receive_all`, which
//! applies runs of updates as one), must end exactly where sending them one by one ends.
//!
//! Shared by `crates/collab/tests/frame_fuzz.rs` and `fuzz/fuzz_targets/frame.rs` (via `#[path]`).

use reynard_collab::protocol::{
    encode_awareness, encode_query_awareness, encode_sync_step1, encode_sync_step2, encode_update,
};
use reynard_collab::{ConnId, DocRoom, Limits, Message, decode_frame};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update};

/// The text the room holds before the frame arrives.
pub const SEED_TEXT: &str = "fn main() {\n    println!(\"héllo wörld 😀\");\n}\n";

/// Yjs clientID of the seed document, so that every run starts from the same bytes.
pub const SEED_CLIENT_ID: u64 = 7;

/// The connection the frame comes from: a writer.
pub const WRITER: ConnId = ConnId(1);

/// Limits small enough to be reached by fuzzed input.
pub const LIMITS: Limits = Limits { max_message_bytes: 64 * 1024, max_document_bytes: 256 * 1024 };

/// The seed document as one v1 update: [`SEED_TEXT`] typed in two edits, one partly deleted.
pub fn seed_update() -> Vec<u8> {
    let doc = Doc::with_client_id(SEED_CLIENT_ID);
    let text = doc.get_or_insert_text("monaco");
    {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "fn main() {\n}\n");
    }
    {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 12, "    println!(\"héllo wörld 😀\");\n// gone\n");
        let gone = "    println!(\"héllo wörld 😀\");\n".len() as u32;
        text.remove_range(&mut txn, 12 + gone, "// gone\n".len() as u32);
    }
    let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
    debug_assert_eq!(text.get_string(&doc.transact()), SEED_TEXT);
    state
}

/// A room loaded from `seed` with [`WRITER`] connected.
pub fn seeded_room(seed: &[u8]) -> DocRoom {
    let mut room = DocRoom::load(LIMITS, [seed]).expect("the seed loads");
    room.connect(WRITER, true);
    room
}

/// Checks the property for one frame against a fresh room loaded from `seed`.
pub fn check_frame(seed: &[u8], frame: &[u8]) -> bool {
    if let Some(frames) = split(frame) {
        let frames: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        check_run(seed, &frames);
    }
    let mut room = seeded_room(seed);
    let text = room.text();
    let state_vector = room.state_vector();
    let accepted = match room.receive(WRITER, frame) {
        Ok(effects) => {
            let text = room.text();
            // What the caller persists (the seed, then the accepted updates) loads back into
            // the same document.
            let stored = std::iter::once(seed.to_vec()).chain(effects.updates.iter().cloned());
            let reloaded = DocRoom::load(LIMITS, stored).expect("accepted updates reload");
            assert_eq!(reloaded.text(), text);
            assert_eq!(reloaded.state_vector(), room.state_vector());
            for update in &effects.updates {
                assert!(Update::decode_v1(update).is_ok());
            }
            true
        }
        Err(_) => {
            assert_eq!(room.text(), text, "a refused frame changed the text");
            assert_eq!(room.state_vector(), state_vector, "a refused frame changed the document");
            false
        }
    };
    // The room still answers.
    assert!(room.receive(WRITER, &[3]).is_ok());
    let _ = room.text();
    accepted
}

/// The frame's messages, each as a frame of its own (auth messages left out); `None` if the
/// frame does not decode.
fn split(frame: &[u8]) -> Option<Vec<Vec<u8>>> {
    let messages = decode_frame(frame).ok()?;
    let frames = messages.iter().filter_map(|message| match *message {
        Message::SyncStep1(state_vector) => Some(encode_sync_step1(state_vector)),
        Message::SyncStep2(update) => Some(encode_sync_step2(update)),
        Message::Update(update) => Some(encode_update(update)),
        Message::Awareness(payload) => Some(encode_awareness(payload)),
        Message::QueryAwareness => Some(encode_query_awareness()),
        Message::Auth(_) => None,
    });
    Some(frames.collect())
}

/// The state vector of a room, decoded (its encoding's order of clients is arbitrary).
fn state_of(room: &DocRoom) -> StateVector {
    StateVector::decode_v1(&room.state_vector()).expect("a room's state vector decodes")
}

/// Checks that `frames` handled together end where handling them one by one ends: the same
/// frames accepted, the same document, and what the caller persists reloads into it.
pub fn check_run(seed: &[u8], frames: &[&[u8]]) {
    let mut together = seeded_room(seed);
    let results = together.receive_all(WRITER, frames);
    let mut one_by_one = seeded_room(seed);
    let mut expected = Vec::new();
    for frame in frames {
        let accepted = one_by_one.receive(WRITER, frame).is_ok();
        expected.push(accepted);
        if !accepted {
            break;
        }
    }
    let accepted: Vec<bool> = results.iter().map(Result::is_ok).collect();
    assert_eq!(accepted, expected, "frames handled together were judged otherwise");
    assert_eq!(together.text(), one_by_one.text());
    assert_eq!(state_of(&together), state_of(&one_by_one));
    assert_eq!(together.waiting_updates(), one_by_one.waiting_updates());
    let updates = results.iter().filter_map(|result| result.as_ref().ok()).flat_map(|effects| effects.updates.iter());
    let stored = std::iter::once(seed.to_vec()).chain(updates.cloned());
    let reloaded = DocRoom::load(LIMITS, stored).expect("accepted updates reload");
    assert_eq!(reloaded.text(), together.text());
    assert_eq!(state_of(&reloaded), state_of(&together));
}
