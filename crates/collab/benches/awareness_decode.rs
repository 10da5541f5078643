//! How long checking one y-monaco awareness update takes (the cost every
//! echoed awareness state pays before it is relayed or dropped):
//! `cargo bench -p reynard-collab --bench awareness_decode`.

use std::hint::black_box;
use std::time::Instant;

use reynard_collab::awareness::{AwarenessEntry, decode_awareness_update, encode_awareness_update};

/// A y-monaco client's state: its user and its selection as relative positions.
const STATE: &str = r##"{"user":{"name":"user-17","color":"#30bced","colorLight":"#30bced33"},"selection":{"anchor":{"type":{"client":1234567,"clock":42},"tname":null,"item":{"client":2345678,"clock":9876},"assoc":0},"head":{"type":{"client":1234567,"clock":42},"tname":null,"item":{"client":2345678,"clock":9877},"assoc":0}}}"##;

const ROUNDS: u32 = 1_000_000;

fn main() {
    let payload = encode_awareness_update([AwarenessEntry { client_id: 100, clock: 7, state: STATE }]);
    let start = Instant::now();
    for _ in 0..ROUNDS {
        black_box(decode_awareness_update(black_box(&payload)).expect("valid"));
    }
    let micros = start.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS);
    println!("awareness decode: {micros:.3} µs per update of {} bytes", payload.len());
}
