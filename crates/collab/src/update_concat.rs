//! Joining v1 updates without decoding them into items.
//!
//! In the v1 encoding, an update lists each client's blocks as one run: a header (how many
//! blocks, the client, the first clock) and then the blocks, whose clocks follow from their
//! lengths; after the runs comes the delete set. When each client's blocks in a series of
//! updates follow on from each other, as an editor's consecutive edits always do, the series
//! as one update is each client's block bytes under one header, and the union of the delete
//! sets. That is what yrs's merge produces too, minus squashing neighbouring items into one:
//! it integrates the same way, and costs a walk over the bytes instead of decoding every
//! part into items, merging them and encoding the result.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use crate::protocol::write_var_uint;
use crate::update_bounds::{UpdateShape, check_update};

/// One client's blocks, gathered from the parts.
struct ClientRun {
    client: u64,
    /// The first block's clock.
    clock: u64,
    /// The clock after the last block.
    end: u64,
    blocks: u64,
    /// (part, byte range in it) of each section, in order.
    pieces: Vec<(usize, Range<usize>)>,
}

/// `parts` (v1 updates, in order) as one v1 update, when every client's blocks in them
/// follow on from each other; `None` otherwise (a part that does not walk, a client whose
/// blocks overlap or leave a gap between parts), for a decoding merge to handle.
pub(crate) fn concat_updates(parts: &[&[u8]]) -> Option<Vec<u8>> {
    let shapes = parts.iter().map(|part| check_update(part).ok().flatten()).collect::<Option<Vec<_>>>()?;
    concat_walked(parts, shapes)
}

/// [`concat_updates`] of parts already walked: `shapes[i]` is what `check_update` recorded
/// of `parts[i]`.
pub(crate) fn concat_walked(parts: &[&[u8]], shapes: Vec<UpdateShape>) -> Option<Vec<u8>> {
    let mut runs: Vec<ClientRun> = Vec::new();
    let mut run_of: HashMap<u64, usize> = HashMap::new();
    let mut deletes: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for (part, shape) in shapes.into_iter().enumerate() {
        // Written back, such a client would lose the bits yrs ignores.
        if shape.has_long_client {
            return None;
        }
        for section in shape.sections {
            if section.blocks == 0 {
                continue;
            }
            match run_of.get(&section.client) {
                Some(&index) => {
                    let run = &mut runs[index];
                    if section.clock != run.end {
                        return None;
                    }
                    run.end = section.end;
                    run.blocks += section.blocks;
                    run.pieces.push((part, section.bytes));
                }
                None => {
                    run_of.insert(section.client, runs.len());
                    runs.push(ClientRun {
                        client: section.client,
                        clock: section.clock,
                        end: section.end,
                        blocks: section.blocks,
                        pieces: vec![(part, section.bytes)],
                    });
                }
            }
        }
        for (client, start, end) in shape.deletes {
            deletes.entry(client).or_default().push((start, end));
        }
    }

    let block_bytes: usize = runs.iter().flat_map(|run| &run.pieces).map(|(_, range)| range.len()).sum();
    let mut out = Vec::with_capacity(block_bytes + 16 * runs.len() + 8);
    write_var_uint(&mut out, runs.len() as u64);
    for run in &runs {
        write_var_uint(&mut out, run.blocks);
        write_var_uint(&mut out, run.client);
        write_var_uint(&mut out, run.clock);
        for (part, range) in &run.pieces {
            out.extend_from_slice(&parts[*part][range.clone()]);
        }
    }
    write_delete_set(&mut out, deletes);
    Some(out)
}

/// Writes the delete set of the deleted ranges `(start, end)` of each client, overlapping
/// and adjoining ranges joined.
fn write_delete_set(out: &mut Vec<u8>, deletes: BTreeMap<u64, Vec<(u64, u64)>>) {
    write_var_uint(out, deletes.len() as u64);
    for (client, mut ranges) in deletes {
        ranges.sort_unstable();
        let mut joined: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match joined.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => joined.push((start, end)),
            }
        }
        write_var_uint(out, client);
        write_var_uint(out, joined.len() as u64);
        for (start, end) in joined {
            write_var_uint(out, start);
            write_var_uint(out, end - start);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, GetString, ReadTxn, Transact, Update};

    use super::*;
    use crate::test_edits::{Edit, edit, record};

    /// A document after applying `updates` in order.
    fn apply_all<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Doc {
        let doc = Doc::new();
        doc.get_or_insert_text("monaco");
        for update in updates {
            doc.transact_mut().apply_update(Update::decode_v1(update).unwrap()).unwrap();
        }
        doc
    }

    fn text_of(doc: &Doc) -> String {
        doc.get_or_insert_text("monaco").get_string(&doc.transact())
    }

    #[test]
    fn an_editors_run_of_edits_joins_without_yrs() {
        let edits: Vec<(usize, Edit)> = vec![
            (0, Edit::Insert(0.0, "hello".into())),
            (0, Edit::Insert(1.0, " world".into())),
            (0, Edit::Delete(0.0, 1)),
            (0, Edit::Insert(0.0, "H😀".into())),
        ];
        let updates = record(1, &edits);
        let parts: Vec<&[u8]> = updates.iter().map(Vec::as_slice).collect();
        let joined = concat_updates(&parts).expect("one editor's consecutive edits join");
        let doc = apply_all([joined.as_slice()]);
        assert_eq!(text_of(&doc), "H😀ello world");
        // One client section, the deletion in the delete set.
        let decoded = Update::decode_v1(&joined).unwrap();
        assert_eq!(decoded.state_vector().len(), 1);
    }

    #[test]
    fn gaps_and_overlaps_are_left_to_yrs() {
        let edits: Vec<(usize, Edit)> = (0..3).map(|i| (0, Edit::Insert(1.0, format!("{i}")))).collect();
        let updates = record(1, &edits);
        // The first and the third: client 100's clocks 0..1 and 2..3.
        assert_eq!(concat_updates(&[&updates[0], &updates[2]]), None);
        // The same update twice overlaps itself.
        assert_eq!(concat_updates(&[&updates[0], &updates[0]]), None);
        // Out of order.
        assert_eq!(concat_updates(&[&updates[1], &updates[0]]), None);
        // Not an update.
        assert_eq!(concat_updates(&[&updates[0], &[0xff, 0xff]]), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever joins, integrates like its parts one by one and like yrs's merge of them.
        #[test]
        fn a_joined_update_applies_like_its_parts(
            edits in prop::collection::vec((0..3usize, edit()), 1..40),
            window in (0..40usize, 1..40usize),
        ) {
            let updates = record(3, &edits);
            let start = window.0 % updates.len();
            let end = (start + window.1).min(updates.len());
            let (before, parts) = (&updates[..start], &updates[start..end]);
            let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            // Only series with a client's gap or overlap are refused; three editors
            // seeing each other at once never produce one.
            let joined = concat_updates(&parts);
            prop_assert!(joined.is_some(), "a series of consecutive updates did not join");
            let joined = joined.unwrap();
            let one_by_one = apply_all(before.iter().map(Vec::as_slice).chain(parts.iter().copied()));
            let joined_doc = apply_all(before.iter().map(Vec::as_slice).chain([joined.as_slice()]));
            let merged = yrs::merge_updates_v1(&parts).unwrap();
            let merged_doc = apply_all(before.iter().map(Vec::as_slice).chain([merged.as_slice()]));
            prop_assert_eq!(text_of(&joined_doc), text_of(&one_by_one));
            prop_assert_eq!(text_of(&merged_doc), text_of(&one_by_one));
            // Same clocks, same deletions.
            prop_assert_eq!(one_by_one.transact().snapshot(), joined_doc.transact().snapshot());
            prop_assert!(!joined_doc.transact().has_missing_updates());
        }
    }
}
