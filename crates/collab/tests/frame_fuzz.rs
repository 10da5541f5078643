//! The fuzz target's property (`support/frame_property.rs`) over a few thousand inputs from a
//! fixed seed, so that plain `cargo test` checks it: random bytes, and valid frames mutated.

#[path = "support/frame_property.rs"]
mod frame_property;

use std::cell::Cell;

use frame_property::{SEED_CLIENT_ID, check_frame, seed_update};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use reynard_collab::protocol::{
    encode_awareness, encode_sync_step1, encode_sync_step2, encode_update, write_var_string, write_var_uint,
};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update};

/// Valid v1 updates a client could send to the seeded room: edits on top of the seed, and the
/// seed itself.
fn valid_updates(seed: &[u8]) -> Vec<Vec<u8>> {
    let doc = Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::with_client_id(yrs::ClientID::new(SEED_CLIENT_ID + 1))
    });
    let text = doc.get_or_insert_text("monaco");
    doc.transact_mut().apply_update(Update::decode_v1(seed).expect("seed decodes")).expect("seed applies");
    let mut updates = vec![seed.to_vec()];
    let edits: [(u32, u32, &str); 6] =
        [(0, 0, "// header\n"), (5, 3, ""), (20, 0, "é😀"), (2, 10, "x"), (0, 0, "a"), (1, 1, "日本語")];
    for (at, remove, insert) in edits {
        let mut txn = doc.transact_mut();
        let len = text.len(&txn);
        let at = at.min(len);
        text.remove_range(&mut txn, at, remove.min(len - at));
        text.insert(&mut txn, at, insert);
        updates.push(txn.encode_update_v1());
    }
    updates.push(doc.transact().encode_state_as_update_v1(&StateVector::default()));
    assert!(!text.get_string(&doc.transact()).is_empty());
    updates
}

/// Encoded awareness payloads, valid and not.
fn awareness_payloads() -> Vec<Vec<u8>> {
    let mut payloads = Vec::new();
    for (client_id, clock, state) in [(1, 0, "{}"), (2, 5, r#"{"cursor":{"anchor":1}}"#), (1, 1, "null")] {
        let mut payload = Vec::new();
        write_var_uint(&mut payload, 1);
        write_var_uint(&mut payload, client_id);
        write_var_uint(&mut payload, clock);
        write_var_string(&mut payload, state);
        payloads.push(payload);
    }
    payloads
}

/// One way of damaging a payload.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Insert { at: usize, byte: u8 },
    Remove { at: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        let len = bytes.len();
        match *mutation {
            Mutation::Flip { at, mask } if len > 0 => bytes[at % len] ^= mask,
            Mutation::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
            Mutation::Remove { at } if len > 0 => {
                bytes.remove(at % len);
            }
            Mutation::Truncate { at } => bytes.truncate(at % (len + 1)),
            _ => {}
        }
    }
    bytes
}

/// A frame: raw bytes, or one to three messages with possibly damaged payloads.
fn frame(updates: Vec<Vec<u8>>, payloads: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let raw = prop::collection::vec(any::<u8>(), 0..48);
    let update_message = (prop::sample::select(updates), prop::collection::vec(mutation(), 0..3), 0..3u8).prop_map(
        |(update, mutations, kind)| {
            let update = mutate(update, &mutations);
            match kind {
                0 => encode_update(&update),
                1 => encode_sync_step2(&update),
                _ => encode_sync_step1(&update),
            }
        },
    );
    let awareness_message = (prop::sample::select(payloads), prop::collection::vec(mutation(), 0..2))
        .prop_map(|(payload, mutations)| encode_awareness(&mutate(payload, &mutations)));
    let message = prop_oneof![
        4 => update_message,
        1 => awareness_message,
        1 => prop::collection::vec(any::<u8>(), 1..12),
    ];
    let messages = (prop::collection::vec(message, 1..4), prop::collection::vec(mutation(), 0..2))
        .prop_map(|(messages, mutations)| mutate(messages.concat(), &mutations));
    prop_oneof![1 => raw, 4 => messages]
}

#[test]
fn frames_never_corrupt_the_room() {
    let seed = seed_update();
    let strategy = frame(valid_updates(&seed), awareness_payloads());
    // `FRAME_FUZZ_CASES=1000000 cargo test ...` explores further (same seed, more cases).
    let cases = std::env::var("FRAME_FUZZ_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(4000);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let cases = Cell::new(0usize);
    let accepted = Cell::new(0usize);
    runner
        .run(&strategy, |frame| {
            cases.set(cases.get() + 1);
            accepted.set(accepted.get() + usize::from(check_frame(&seed, &frame)));
            Ok(())
        })
        .unwrap();
    eprintln!("{} cases, {} accepted", cases.get(), accepted.get());
}

#[test]
fn runs_of_edits_end_where_frame_by_frame_ends() {
    let seed = seed_update();
    let updates = valid_updates(&seed);
    // The client's consecutive edits, without the seed and the whole state.
    let edits = updates[1..updates.len() - 1].to_vec();
    let strategy = (
        0..edits.len(),
        1..=edits.len(),
        prop::option::of((any::<usize>(), prop::collection::vec(mutation(), 1..3))),
        prop::option::of((any::<usize>(), any::<usize>())),
    );
    let config = Config { cases: 2000, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    runner
        .run(&strategy, |(start, len, damage, swap)| {
            let mut run: Vec<Vec<u8>> = edits[start..(start + len).min(edits.len())].to_vec();
            if let Some((at, mutations)) = damage {
                let at = at % run.len();
                run[at] = mutate(run[at].clone(), &mutations);
            }
            if let Some((a, b)) = swap {
                let count = run.len();
                run.swap(a % count, b % count);
            }
            let frames: Vec<Vec<u8>> = run.iter().map(|update| encode_update(update)).collect();
            let frames: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
            frame_property::check_run(&seed, &frames);
            Ok(())
        })
        .unwrap();
}

#[test]
fn valid_updates_are_accepted() {
    let seed = seed_update();
    for update in valid_updates(&seed) {
        let mut room = frame_property::seeded_room(&seed);
        room.receive(frame_property::WRITER, &encode_update(&update)).expect("a valid update is accepted");
        check_frame(&seed, &encode_update(&update));
    }
}

/// Frames the `frame` fuzz target found (with and without AddressSanitizer) that crashed the
/// process or broke the property before the room learned to handle them.
const FOUND_BY_FUZZING: &[(&str, &[u8])] = &[
    (
        "malloc_invalid_size_after_pending",
        &[
            0, 1, 11, 1, 1, 65, 1, 1, 128, 0, 1, 36, 5, 0, 0, 1, 11, 1, 1, 1, 247, 0, 1, 2, 0, 0, 1, 0, 0, 1, 11, 1, 1,
            1, 36, 1, 128, 0, 1, 96, 1, 0, 0, 1, 11, 1, 1, 1, 5, 0, 1, 2, 0, 0, 1, 0, 0, 1, 11, 1, 1, 1, 128, 65, 1, 0,
            1, 36, 5, 0, 0, 1, 11, 1, 1, 1, 36, 1, 128, 0, 1, 96, 1, 0, 0, 1, 11, 1, 1, 1, 65, 0, 1, 2, 0, 0, 1, 0, 0,
            1, 11, 1, 1, 65, 1, 1, 128, 0, 1, 36, 5, 0, 0, 1, 11, 1, 1, 1, 247, 0, 1, 2, 0, 0, 1, 0, 0, 1, 11, 1, 1, 1,
            36, 1, 128, 0, 1, 1, 35, 0, 0, 1, 59, 13, 0, 153, 153, 133, 153, 0, 0, 0, 0, 0, 0, 0, 62, 1, 1, 12, 0, 38,
            0, 0, 36, 1, 2, 0, 1, 11, 1, 7, 1, 0, 0, 38, 0, 0, 36, 0, 1, 59, 0, 58, 25, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0,
            0, 255, 255, 255, 255, 241, 241, 0, 1, 11, 1, 1, 1, 0, 0, 1, 2, 0, 0, 1, 0, 0, 1, 11, 1, 1, 1, 247, 0, 1,
            2, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1, 36, 1, 128, 0, 1, 1, 0, 0, 0, 1, 59, 13, 0, 153, 153, 133, 153, 0, 0, 0,
            0, 0, 0, 0, 62, 1, 1, 12, 0, 38, 0, 0, 36, 1, 2, 0, 1, 11, 1, 7, 1, 0, 0, 38, 0, 0, 36, 0, 1, 59, 0, 58, 0,
            0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 255, 255, 255, 255, 241, 241, 0, 1, 11, 1, 1, 1, 1, 0, 1, 2, 0, 0, 1, 0,
        ],
    ),
    (
        "use_after_free_in_pending_retry",
        &[
            0, 1, 11, 1, 1, 17, 1, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 18, 1, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1,
            1, 17, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1, 53, 0, 1, 2, 0, 0, 3, 0, 0, 1, 11, 1, 1, 1, 1, 1, 128, 2,
            1, 8, 0, 0, 0, 0, 1, 0, 0, 1, 11, 1, 1, 1, 25, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 49, 1, 1, 128, 0, 1,
            0, 1, 0, 0, 1, 11, 1, 1, 17, 35, 1, 128, 0, 1, 9, 1, 0, 0, 1, 11, 1, 1, 42, 1, 1, 128, 0, 1, 0, 1, 0, 0, 1,
            11, 1, 1, 1, 47, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 48, 1, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1, 0,
            0, 1, 2, 0, 0, 3, 0, 0, 1, 11, 1, 1, 1, 1, 1, 128, 2, 1, 8, 64, 0, 0, 0, 1, 0, 0, 1, 11, 1, 1, 1, 21, 1,
            128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1, 12, 1, 128, 0, 1, 0, 1, 0, 0, 1, 11, 1, 1, 1, 0, 0, 1, 2, 0, 0, 3,
            0, 0, 1, 11, 1, 1, 1, 80, 0, 1, 2, 0, 0, 3, 0, 0, 1, 11, 1, 1, 1, 1, 1, 128, 2, 0, 0, 119, 0,
        ],
    ),
    (
        "empty_deletion_splits_an_emoji",
        &[
            0, 1, 11, 1, 1, 65, 10, 1, 128, 0, 1, 36, 5, 0, 0, 1, 11, 1, 1, 247, 1, 0, 1, 2, 1, 0, 1, 0, 0, 1, 11, 1,
            1, 1, 36, 1, 128, 0, 1, 96, 1, 0, 0, 1, 11, 1, 1, 1, 128, 0, 1, 2, 0, 0, 1, 0, 0, 1, 11, 1, 1, 68, 1, 1,
            128, 0, 1, 36, 5, 0, 0, 1, 11, 1, 0, 0, 0, 1, 7, 1, 41, 0, 1, 2, 0, 0, 1, 0, 0, 1, 11, 1, 1, 1, 36, 0, 1,
            0, 1, 0, 128, 1, 0, 1, 11, 1, 1, 1, 0, 0, 246, 2, 0, 0, 1, 0,
        ],
    ),
    (
        "huge_count_in_yrs_own_encoding",
        &[
            0, 1, 46, 3, 1, 1, 1, 2, 0, 0, 2, 0, 0, 2, 0, 214, 188, 255, 255, 255, 255, 255, 255, 0, 1, 0, 0, 42, 1, 4,
            0, 1, 0, 0, 1, 11, 1, 0, 1, 0, 0, 2, 0, 0, 2, 1, 2, 0, 0, 1, 0,
        ],
    ),
    (
        "use_after_free_with_a_client_listed_twice",
        &[
            0, 1, 38, 7, 1, 39, 0, 7, 1, 1, 1, 1, 2, 39, 0, 0, 1, 1, 7, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 2, 0, 0, 1, 0, 0, 1, 38, 7, 1, 49, 0, 7, 1, 1, 1, 1, 2, 0, 0, 0, 67, 7, 47, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
        ],
    ),
    (
        "long_client_in_a_deletion_of_a_run",
        &[
            0, 2, 13, 0, 4, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 2, 13, 0, 1, 255, 255, 255, 255, 255, 255, 255, 255, 1,
            0, 8, 1, 1, 20, 1, 0, 0, 0, 0, 1, 0,
        ],
    ),
    ("subdocument_then_a_truncated_update", &[0, 2, 13, 1, 1, 18, 13, 121, 10, 0, 0, 127, 0, 0, 8, 7, 0, 2, 1, 102]),
    ("subdocument_options_in_hash_order", &[0, 2, 13, 1, 2, 18, 13, 121, 10, 0, 0, 127, 0, 20, 0, 0, 0, 2, 1, 103]),
];

#[test]
fn frames_found_by_fuzzing_stay_harmless() {
    let seed = seed_update();
    for (name, frame) in FOUND_BY_FUZZING {
        eprintln!("{name}");
        check_frame(&seed, frame);
    }
}
