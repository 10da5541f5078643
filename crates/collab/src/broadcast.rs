//! What a room sends to everyone after a batch: the batch's accepted updates as
//! one sync-update message, and its awareness changes as one awareness message
//! (merged, so that a burst costs each client one frame of each kind).

use std::collections::BTreeMap;

use yrs::merge_updates_v1;

use crate::Message;
use crate::awareness::{AwarenessEntry, decode_awareness_update, encode_awareness_update};
use crate::protocol::{decode_frame, encode_awareness, encode_update};
use crate::update_concat::concat_updates;

/// One awareness message holding the newest entry of each client found in
/// `messages` (awareness messages a room produced). Messages that do not decode
/// — which a room never produces — are returned unmerged after it.
pub fn merge_awareness_messages(messages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    if messages.len() < 2 {
        return messages.to_vec();
    }
    let mut newest: BTreeMap<u64, AwarenessEntry<'_>> = BTreeMap::new();
    let mut unmerged = Vec::new();
    for message in messages {
        let entries = match decode_frame(message).as_deref() {
            Ok([Message::Awareness(payload)]) => decode_awareness_update(payload).ok(),
            _ => None,
        };
        let Some(entries) = entries else {
            unmerged.push(message.clone());
            continue;
        };
        for entry in entries {
            match newest.get(&entry.client_id) {
                Some(known) if known.clock > entry.clock => {}
                _ => {
                    newest.insert(entry.client_id, entry);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(1 + unmerged.len());
    if !newest.is_empty() {
        out.push(encode_awareness(&encode_awareness_update(newest.into_values())));
    }
    out.extend(unmerged);
    out
}

/// All `updates` (v1) as one update, or `None` if yrs cannot merge them. A series whose
/// clients' blocks follow on from each other (any one editor's edits) is joined without
/// decoding; anything else is merged by yrs.
pub fn merge_updates(updates: &[&[u8]]) -> Option<Vec<u8>> {
    match updates {
        [] => None,
        [single] => Some(single.to_vec()),
        many => concat_updates(many).or_else(|| merge_updates_v1(many).ok()),
    }
}

/// One sync-update message carrying all `updates` (v1). A single update is sent
/// as it came, without re-encoding; several are merged ([`merge_updates`]).
/// `Err` gives one message per update instead: when there is nothing to send
/// (empty) or the merge failed.
pub fn encode_updates_message<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, Vec<Vec<u8>>> {
    let updates: Vec<&[u8]> = updates.into_iter().collect();
    match updates.as_slice() {
        [] => Err(Vec::new()),
        [single] => Ok(encode_update(single)),
        many => match merge_updates(many) {
            Some(merged) => Ok(encode_update(&merged)),
            None => Err(many.iter().map(|u| encode_update(u)).collect()),
        },
    }
}

#[cfg(test)]
mod tests {
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, GetString, Text, Transact, Update};

    use super::*;
    use crate::Message;
    use crate::protocol::decode_frame;

    #[test]
    fn a_batch_becomes_one_message_that_applies_like_its_parts() {
        let source = Doc::with_client_id(7);
        let text = source.get_or_insert_text("monaco");
        let mut updates = Vec::new();
        for word in ["one ", "two ", "three"] {
            let mut txn = source.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, word);
            updates.push(txn.encode_update_v1());
        }
        let message = encode_updates_message(updates.iter().map(Vec::as_slice)).unwrap();
        let [Message::Update(merged)] = decode_frame(&message).unwrap()[..] else { panic!("one update message") };
        let target = Doc::new();
        target.transact_mut().apply_update(Update::decode_v1(merged).unwrap()).unwrap();
        let got = target.get_or_insert_text("monaco").get_string(&target.transact());
        assert_eq!(got, "one two three");

        let single = encode_updates_message([updates[0].as_slice()]).unwrap();
        assert_eq!(single, encode_update(&updates[0]), "a single update is not re-encoded");
        assert!(encode_updates_message(std::iter::empty()).is_err());
    }

    #[test]
    fn awareness_messages_merge_to_the_newest_state_of_each_client() {
        let message = |entries: &[(u64, u64, &str)]| {
            encode_awareness(&encode_awareness_update(
                entries.iter().map(|&(client_id, clock, state)| AwarenessEntry { client_id, clock, state }),
            ))
        };
        let merged = merge_awareness_messages(&[
            message(&[(1, 1, r#"{"a":1}"#), (2, 5, r#"{"b":1}"#)]),
            message(&[(1, 2, r#"{"a":2}"#)]),
            message(&[(2, 4, r#"{"b":0}"#), (3, 1, "null")]),
        ]);
        assert_eq!(merged, vec![message(&[(1, 2, r#"{"a":2}"#), (2, 5, r#"{"b":1}"#), (3, 1, "null")])]);
        let single = vec![message(&[(9, 1, "{}")])];
        assert_eq!(merge_awareness_messages(&single), single);
    }
}
