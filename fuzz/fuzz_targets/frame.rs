//! Fuzz target `frame`: arbitrary bytes as a frame from a writer, against a room holding text.
//! The property lives in `crates/collab/tests/support/frame_property.rs`, which the plain
//! `cargo test` of reynard-collab also checks over a fixed-seed corpus.
#![no_main]

use std::panic::{self, PanicHookInfo};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/collab/tests/support/frame_property.rs"]
mod frame_property;

/// The seed document, encoded once.
static SEED: OnceLock<Vec<u8>> = OnceLock::new();

/// Whether a panic was raised inside yrs, which `DocRoom` catches and recovers from.
fn raised_in_yrs(info: &PanicHookInfo<'_>) -> bool {
    info.location()
        .is_some_and(|location| location.file().contains("/yrs-"))
}

/// Replaces libfuzzer-sys's panic hook, which aborts on every panic, even a caught one.
///
/// Panics inside yrs are part of what the room is built to survive, so they stay silent and
/// unwind into the room's `catch_unwind`. Any other panic (a failed assertion of the property)
/// is printed and unwinds to libfuzzer-sys, which aborts: libFuzzer records a crash.
fn install_panic_hook() {
    let report = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !raised_in_yrs(info) {
            report(info);
        }
    }));
}

fuzz_target!(|frame: &[u8]| {
    let seed = SEED.get_or_init(|| {
        install_panic_hook();
        frame_property::seed_update()
    });
    frame_property::check_frame(seed, frame);
});
