//! Memory of line diffs on large texts, measured as the peak resident size of
//! this test process (`VmHWM`): a test binary of its own, with one test, so
//! that nothing else runs in the process meanwhile.
//!
//! The old hand-written Myers kept a copy of its frontier per step: two texts
//! of 8,000 lines with nothing in common took 3.9 GB, 20,000 lines ran out of
//! memory. These are 100,000 lines each.

use std::time::{Duration, Instant};

use reynard_collab::history::{DIFF_BUDGET, count_changes, line_diff};

/// Peak resident memory of this process so far, in bytes (Linux).
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

const LIMIT: u64 = 256 * 1024 * 1024;

/// A small pseudo-random generator (xorshift), so that the texts are the same on every run.
fn lines_from(seed: u64, count: usize, alphabet: u64) -> String {
    let mut x = seed;
    let mut text = String::new();
    for _ in 0..count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.push_str(&format!("token {}\n", x % alphabet));
    }
    text
}

#[test]
fn large_diffs_stay_in_bounded_memory_and_time() {
    let disjoint_old: String = (0..100_000).map(|i| format!("old line {i}\n")).collect();
    let disjoint_new: String = (0..100_000).map(|i| format!("new line {i}\n")).collect();
    // Few distinct lines, shuffled: every line matches thousands of others, the
    // hardest input for Myers (the search runs into its budget).
    let tangled_old = lines_from(0x9E37_79B9_7F4A_7C15, 100_000, 64);
    let tangled_new = lines_from(0xD1B5_4A32_D192_ED03, 100_000, 64);
    let cases = [("disjoint", &disjoint_old, &disjoint_new), ("tangled", &tangled_old, &tangled_new)];
    for (name, old, new) in cases {
        let started = Instant::now();
        let diff = line_diff(old, new, 3, DIFF_BUDGET);
        let counts = count_changes(old, new, DIFF_BUDGET);
        let took = started.elapsed();
        let peak = peak_resident_bytes();
        eprintln!("{name}: diff and count in {took:?}, coarse {}, peak resident {peak:?} bytes", diff.coarse);
        // Generous for a debug build on a busy machine: the budget is 0.5 s each.
        assert!(took < Duration::from_secs(20), "{name}: {took:?}");
        if let Some(peak) = peak {
            assert!(peak < LIMIT, "{name}: peak resident memory {peak} bytes");
        }
        let removed: usize = diff.hunks.iter().map(|h| h.lines.iter().filter(|l| l.starts_with('-')).count()).sum();
        let added: usize = diff.hunks.iter().map(|h| h.lines.iter().filter(|l| l.starts_with('+')).count()).sum();
        if diff.coarse == counts.coarse {
            assert_eq!((added, removed), (counts.added, counts.removed), "{name}");
        }
        assert!(added <= 100_000 && removed <= 100_000, "{name}");
    }
}
