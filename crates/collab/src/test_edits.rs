//! Test helper: editors typing into one text, and the updates they produce.

use proptest::prelude::*;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, Text, Transact, Update};

/// One editor's action on the text: insert `text` at a fraction of the length, or delete
/// up to `len` characters there.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Insert(f64, String),
    Delete(f64, u32),
}

pub(crate) fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (0.0..=1.0f64, "[a-zé😀\n ]{1,6}").prop_map(|(at, text)| Edit::Insert(at, text)),
        1 => (0.0..=1.0f64, 1..5u32).prop_map(|(at, len)| Edit::Delete(at, len)),
    ]
}

/// Runs `(editor, edit)` pairs on `editors` documents that see each other's updates at
/// once, and returns every update in order. Offsets count UTF-8 bytes, on char boundaries.
pub(crate) fn record(editors: usize, edits: &[(usize, Edit)]) -> Vec<Vec<u8>> {
    let docs: Vec<Doc> = (0..editors).map(|i| Doc::with_client_id(100 + i as u64)).collect();
    let mut updates = Vec::new();
    for (editor, edit) in edits {
        let doc = &docs[editor % editors];
        let text = doc.get_or_insert_text("monaco");
        let update = {
            let mut txn = doc.transact_mut();
            let current = text.get_string(&txn);
            let boundary = |fraction: f64| {
                let mut at = (current.len() as f64 * fraction) as usize;
                while !current.is_char_boundary(at) {
                    at -= 1;
                }
                at
            };
            match edit {
                Edit::Insert(at, chunk) => text.insert(&mut txn, boundary(*at) as u32, chunk),
                Edit::Delete(at, len) => {
                    let start = boundary(*at);
                    let end =
                        current[start..].char_indices().nth(*len as usize).map_or(current.len(), |(i, _)| start + i);
                    if end > start {
                        text.remove_range(&mut txn, start as u32, (end - start) as u32);
                    }
                }
            }
            txn.encode_update_v1()
        };
        for other in docs.iter().filter(|other| !std::ptr::eq(*other, doc)) {
            other.transact_mut().apply_update(Update::decode_v1(&update).unwrap()).unwrap();
        }
        updates.push(update);
    }
    updates
}
