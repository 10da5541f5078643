//! What a room sends to everyone after a batch: the batch's accepted updates as
//! one sync-update message (merged, so that a burst costs each client one frame).

use yrs::merge_updates_v1;

use crate::protocol::encode_update;

/// One sync-update message carrying all `updates` (v1). A single update is sent
/// as it came, without re-encoding; several are merged with yrs (cheap for the
/// few small updates a batch holds). `Err` gives one message per update instead:
/// when there is nothing to send (empty) or the merge failed.
pub fn encode_updates_message<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, Vec<Vec<u8>>> {
    let updates: Vec<&[u8]> = updates.into_iter().collect();
    match updates.as_slice() {
        [] => Err(Vec::new()),
        [single] => Ok(encode_update(single)),
        many => match merge_updates_v1(many) {
            Ok(merged) => Ok(encode_update(&merged)),
            Err(_) => Err(many.iter().map(|u| encode_update(u)).collect()),
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
}
