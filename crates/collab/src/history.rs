//! Version history without IO: rebuilding a version's text from its stored
//! updates, and line diffs between texts (bounded in time and linear in space:
//! a diff that runs out of its budget answers with one coarse hunk).

use std::time::{Duration, Instant};

use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, IdSet, ReadTxn, StateVector, Transact, Update};

use crate::error::LoadError;
use crate::room::TEXT_NAME;

/// A document rebuilt from stored updates (a checkpoint and the deltas after it).
#[derive(Debug)]
pub struct Rebuilt {
    doc: Doc,
}

impl Rebuilt {
    /// Applies `updates` (v1) in order to an empty document.
    pub fn from_updates<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Result<Rebuilt, LoadError> {
        let doc = Doc::new();
        for (index, bytes) in updates.into_iter().enumerate() {
            let update =
                Update::decode_v1(bytes).map_err(|e| LoadError::MalformedUpdate { index, reason: e.to_string() })?;
            doc.transact_mut()
                .apply_update(update)
                .map_err(|e| LoadError::MalformedUpdate { index, reason: e.to_string() })?;
        }
        Ok(Rebuilt { doc })
    }

    /// The text (the `Y.Text` named `monaco`).
    pub fn text(&self) -> String {
        let text = self.doc.get_or_insert_text(TEXT_NAME);
        text.get_string(&self.doc.transact())
    }

    /// The whole state as one v1 update.
    pub fn encode_state(&self) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// The v1-encoded delete set.
    pub fn delete_set(&self) -> Vec<u8> {
        self.doc.transact().snapshot().delete_set.encode_v1()
    }

    /// The v1-encoded state vector.
    pub fn state_vector(&self) -> Vec<u8> {
        self.doc.transact().state_vector().encode_v1()
    }
}

/// Removes from `delta` (a v1 update made with `encode_state_as_update`, which
/// always carries the document's whole delete set) the deletions listed in
/// `known` (a v1-encoded delete set the receiver already has, e.g. the previous
/// version's). Version deltas then hold only what changed, instead of every
/// deletion ever made. Returns `delta` unchanged when it cannot be stripped.
pub fn strip_known_deletions(delta: &[u8], known: &[u8]) -> Vec<u8> {
    let stripped = || -> Option<Vec<u8>> {
        let update = Update::decode_v1(delta).ok()?;
        let known = IdSet::decode_v1(known).ok()?;
        let all = update.delete_set().encode_v1();
        let blocks = delta.strip_suffix(all.as_slice())?;
        let mut out = blocks.to_vec();
        out.extend(update.delete_set().diff(&known).encode_v1());
        // Must still be an update yrs reads.
        Update::decode_v1(&out).ok()?;
        Some(out)
    };
    std::panic::catch_unwind(stripped).ok().flatten().unwrap_or_else(|| delta.to_vec())
}

/// The v1-encoded delete set of a document given as one v1 update (its state).
pub fn delete_set_of(state: &[u8]) -> Option<Vec<u8>> {
    Update::decode_v1(state).ok().map(|update| update.delete_set().encode_v1())
}

/// A block of changed lines with its context, as in a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// First line of the hunk in the old text (1-based; 0 when it has no old lines).
    pub old_start: usize,
    pub old_lines: usize,
    /// First line of the hunk in the new text (1-based; 0 when it has no new lines).
    pub new_start: usize,
    pub new_lines: usize,
    /// Lines prefixed with `' '` (context), `'-'` (removed) or `'+'` (added).
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Keep,
    Remove,
    Add,
}

/// A line-level edit script from an old text to a new one.
#[derive(Debug)]
struct EditScript {
    edits: Vec<Edit>,
    /// The search ran out of time: the script is the coarse one.
    coarse: bool,
}

/// Line-level edit script from `old` to `new`: the common prefix and suffix are
/// kept, and the middle is diffed with `similar`'s Myers (linear space, with
/// heuristics for hard inputs) until `budget` runs out. Past the budget the
/// middle becomes one block of removals then additions (the coarse script),
/// which is still an exact edit script, only not a minimal one.
fn edit_script(old: &[&str], new: &[&str], budget: Duration) -> EditScript {
    let started = Instant::now();
    let deadline = started.checked_add(budget).unwrap_or(started);
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..].iter().rev().zip(new[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let a = &old[prefix..old.len() - suffix];
    let b = &new[prefix..new.len() - suffix];
    let mut edits = Vec::with_capacity(prefix + a.len() + b.len() + suffix);
    edits.extend(std::iter::repeat_n(Edit::Keep, prefix));
    let mut coarse = false;
    if a.is_empty() || b.is_empty() {
        edits.extend(std::iter::repeat_n(Edit::Remove, a.len()));
        edits.extend(std::iter::repeat_n(Edit::Add, b.len()));
    } else {
        let ops = similar::capture_diff_slices_deadline(similar::Algorithm::Myers, a, b, Some(deadline));
        if Instant::now() >= deadline {
            // The search was cut short: whatever it found is not worth more
            // than the plain answer, which is cheap and predictable.
            coarse = true;
            edits.extend(std::iter::repeat_n(Edit::Remove, a.len()));
            edits.extend(std::iter::repeat_n(Edit::Add, b.len()));
        } else {
            for op in ops {
                let (tag, removed, added) = op.as_tag_tuple();
                if tag == similar::DiffTag::Equal {
                    edits.extend(std::iter::repeat_n(Edit::Keep, removed.len()));
                } else {
                    edits.extend(std::iter::repeat_n(Edit::Remove, removed.len()));
                    edits.extend(std::iter::repeat_n(Edit::Add, added.len()));
                }
            }
        }
    }
    edits.extend(std::iter::repeat_n(Edit::Keep, suffix));
    EditScript { edits, coarse }
}

fn split_lines(text: &str) -> Vec<&str> {
    if text.is_empty() { Vec::new() } else { text.split_inclusive('\n').map(|l| l.trim_end_matches('\n')).collect() }
}

/// How long a diff may search for a minimal edit script before it settles for
/// the coarse one (see [`LineDiff::coarse`]). Diffing two texts with nothing in
/// common costs time in proportion to the product of their lengths.
pub const DIFF_BUDGET: Duration = Duration::from_millis(500);

/// Lines added and removed between two texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeCount {
    pub added: usize,
    pub removed: usize,
    /// The counts are those of the coarse edit script (see [`LineDiff::coarse`]).
    pub coarse: bool,
}

/// Lines added and removed from `old` to `new`, searching at most `budget`.
pub fn count_changes(old: &str, new: &str, budget: Duration) -> ChangeCount {
    let (old, new) = (split_lines(old), split_lines(new));
    let script = edit_script(&old, &new, budget);
    let added = script.edits.iter().filter(|e| **e == Edit::Add).count();
    let removed = script.edits.iter().filter(|e| **e == Edit::Remove).count();
    ChangeCount { added, removed, coarse: script.coarse }
}

/// The hunks between two texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDiff {
    pub hunks: Vec<Hunk>,
    /// The search for a minimal diff ran out of its budget: the lines between
    /// the common prefix and suffix are shown as one block removed and one
    /// added. Still exact (applying it gives the new text), only not minimal.
    pub coarse: bool,
}

/// The hunks turning `old` into `new`, with `context` unchanged lines around
/// each change (hunks whose context touches are joined), searching at most
/// `budget` for a minimal diff.
pub fn line_diff(old: &str, new: &str, context: usize, budget: Duration) -> LineDiff {
    let (old_lines, new_lines) = (split_lines(old), split_lines(new));
    let EditScript { edits: script, coarse } = edit_script(&old_lines, &new_lines, budget);
    // Positions (in the script) of changes.
    let changes: Vec<usize> = script.iter().enumerate().filter(|(_, e)| **e != Edit::Keep).map(|(i, _)| i).collect();
    let mut hunks = Vec::new();
    // Line numbers (0-based) at script position `at`, advanced hunk by hunk.
    let (mut at, mut old_no, mut new_no) = (0, 0, 0);
    let mut i = 0;
    while i < changes.len() {
        let start = changes[i].saturating_sub(context).max(at);
        let mut end = changes[i];
        while i + 1 < changes.len() && changes[i + 1] <= end + 2 * context + 1 {
            i += 1;
            end = changes[i];
        }
        let end = (end + context + 1).min(script.len());
        for edit in &script[at..start] {
            match edit {
                Edit::Keep => {
                    old_no += 1;
                    new_no += 1;
                }
                Edit::Remove => old_no += 1,
                Edit::Add => new_no += 1,
            }
        }
        let mut hunk =
            Hunk { old_start: old_no + 1, old_lines: 0, new_start: new_no + 1, new_lines: 0, lines: Vec::new() };
        for edit in &script[start..end] {
            match edit {
                Edit::Keep => {
                    hunk.lines.push(format!(" {}", old_lines[old_no]));
                    old_no += 1;
                    new_no += 1;
                    hunk.old_lines += 1;
                    hunk.new_lines += 1;
                }
                Edit::Remove => {
                    hunk.lines.push(format!("-{}", old_lines[old_no]));
                    old_no += 1;
                    hunk.old_lines += 1;
                }
                Edit::Add => {
                    hunk.lines.push(format!("+{}", new_lines[new_no]));
                    new_no += 1;
                    hunk.new_lines += 1;
                }
            }
        }
        at = end;
        if hunk.old_lines == 0 {
            hunk.old_start -= 1;
        }
        if hunk.new_lines == 0 {
            hunk.new_start -= 1;
        }
        hunks.push(hunk);
        i += 1;
    }
    LineDiff { hunks, coarse }
}

#[cfg(test)]
mod tests {
    use yrs::Text;

    use super::*;

    fn apply(old: &str, hunks: &[Hunk]) -> String {
        // Rebuild the new text from the old one and the hunks.
        let old_lines = split_lines(old);
        let mut out: Vec<String> = Vec::new();
        let mut next = 0;
        for hunk in hunks {
            let start = if hunk.old_lines == 0 { hunk.old_start } else { hunk.old_start - 1 };
            out.extend(old_lines[next..start].iter().map(|s| s.to_string()));
            next = start;
            for line in &hunk.lines {
                match line.split_at(1) {
                    (" ", rest) => {
                        out.push(rest.to_owned());
                        next += 1;
                    }
                    ("-", _) => next += 1,
                    ("+", rest) => out.push(rest.to_owned()),
                    _ => unreachable!(),
                }
            }
        }
        out.extend(old_lines[next..].iter().map(|s| s.to_string()));
        out.join("\n")
    }

    #[test]
    fn unified_hunks() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj";
        let new = "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk";
        let diff = line_diff(old, new, 1, DIFF_BUDGET);
        assert!(!diff.coarse);
        assert_eq!(
            diff.hunks,
            vec![
                Hunk {
                    old_start: 1,
                    old_lines: 3,
                    new_start: 1,
                    new_lines: 3,
                    lines: vec![" a".into(), "-b".into(), "+B".into(), " c".into()]
                },
                Hunk {
                    old_start: 10,
                    old_lines: 1,
                    new_start: 10,
                    new_lines: 2,
                    lines: vec![" j".into(), "+k".into()]
                },
            ]
        );
        assert_eq!(count_changes(old, new, DIFF_BUDGET), ChangeCount { added: 2, removed: 1, coarse: false });
        assert!(line_diff(old, old, 3, DIFF_BUDGET).hunks.is_empty());
        assert_eq!(
            line_diff("", "x\ny", 3, DIFF_BUDGET).hunks,
            vec![Hunk {
                old_start: 0,
                old_lines: 0,
                new_start: 1,
                new_lines: 2,
                lines: vec!["+x".into(), "+y".into()]
            }]
        );
    }

    #[test]
    fn hunks_reproduce_the_new_text() {
        let cases = [
            ("one\ntwo\nthree", "zero\none\nthree\nfour"),
            ("x", ""),
            ("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl", "a\nc\nd\ne\nf\nX\ng\nh\ni\nj\nk\nl\nm"),
            ("same\nlines\nhere", "same\nlines\nhere"),
        ];
        for (old, new) in cases {
            assert_eq!(apply(old, &line_diff(old, new, 2, DIFF_BUDGET).hunks), new, "{old:?} -> {new:?}");
            // The coarse diff (no time to search) is exact too.
            assert_eq!(apply(old, &line_diff(old, new, 2, Duration::ZERO).hunks), new, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn out_of_budget_diffs_are_one_coarse_hunk_with_exact_counts() {
        let old = "keep\na\nb\nc\nsame\nd\nend";
        let new = "keep\nx\nsame\ny\nz\nend";
        let diff = line_diff(old, new, 1, Duration::ZERO);
        assert!(diff.coarse);
        assert_eq!(
            diff.hunks,
            vec![Hunk {
                old_start: 1,
                old_lines: 7,
                new_start: 1,
                new_lines: 6,
                lines: [" keep", "-a", "-b", "-c", "-same", "-d", "+x", "+same", "+y", "+z", " end"]
                    .map(String::from)
                    .to_vec(),
            }]
        );
        assert_eq!(count_changes(old, new, Duration::ZERO), ChangeCount { added: 4, removed: 5, coarse: true });
        // With time to search, the common line is found.
        assert_eq!(count_changes(old, new, DIFF_BUDGET), ChangeCount { added: 3, removed: 4, coarse: false });
    }

    /// Many separate changes: each hunk's line numbers are found without
    /// rescanning the script from the start (that was quadratic in hunks).
    #[test]
    fn many_hunks_keep_their_line_numbers() {
        let old: Vec<String> = (0..20_000).map(|i| format!("line {i}")).collect();
        let new: Vec<String> =
            old.iter().enumerate().map(|(i, l)| if i % 10 == 5 { format!("{l} changed") } else { l.clone() }).collect();
        let (old, new) = (old.join("\n"), new.join("\n"));
        let diff = line_diff(&old, &new, 3, DIFF_BUDGET);
        assert!(!diff.coarse);
        assert_eq!(diff.hunks.len(), 2_000);
        assert_eq!(diff.hunks[1_999].old_start, 19_993);
        assert_eq!(apply(&old, &diff.hunks), new);
    }

    /// Texts with no line in common: the size that used to take gigabytes of
    /// memory answers within the budget (plus linear work), coarse or not.
    #[test]
    fn large_texts_with_nothing_in_common_are_diffed_within_the_budget() {
        let old: String = (0..100_000).map(|i| format!("old {i}\n")).collect();
        let new: String = (0..100_000).map(|i| format!("new {i}\n")).collect();
        let started = Instant::now();
        let diff = line_diff(&old, &new, 3, Duration::from_millis(200));
        assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
        let removed = diff.hunks.iter().map(|h| h.lines.iter().filter(|l| l.starts_with('-')).count()).sum::<usize>();
        let added = diff.hunks.iter().map(|h| h.lines.iter().filter(|l| l.starts_with('+')).count()).sum::<usize>();
        assert_eq!((removed, added), (100_000, 100_000));
        let counts = count_changes(&old, &new, Duration::from_millis(200));
        assert_eq!((counts.added, counts.removed), (100_000, 100_000));
    }

    #[test]
    fn rebuilds_text_from_a_checkpoint_and_deltas() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text(TEXT_NAME);
        text.insert(&mut doc.transact_mut(), 0, "hello");
        let checkpoint = doc.transact().encode_state_as_update_v1(&StateVector::default());
        let sv = doc.transact().state_vector();
        text.insert(&mut doc.transact_mut(), 5, " world");
        text.remove_range(&mut doc.transact_mut(), 0, 1);
        let delta = doc.transact().encode_state_as_update_v1(&sv);
        let rebuilt = Rebuilt::from_updates([checkpoint.as_slice(), delta.as_slice()]).unwrap();
        assert_eq!(rebuilt.text(), "ello world");
        assert!(Rebuilt::from_updates([&[1u8, 2, 3][..]]).is_err());
    }

    #[test]
    fn stripped_deltas_rebuild_the_same_text_and_are_smaller() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text(TEXT_NAME);
        for i in 0..200 {
            text.insert(&mut doc.transact_mut(), 0, &format!("word{i} "));
        }
        for i in 0..100 {
            text.remove_range(&mut doc.transact_mut(), i * 3, 2);
        }
        let v1 = doc.transact().encode_state_as_update_v1(&StateVector::default());
        let v1_sv = doc.transact().state_vector();
        let v1_ds = delete_set_of(&v1).unwrap();
        text.insert(&mut doc.transact_mut(), 5, "new");
        text.remove_range(&mut doc.transact_mut(), 0, 1);
        let full_delta = doc.transact().encode_state_as_update_v1(&v1_sv);
        let delta = strip_known_deletions(&full_delta, &v1_ds);
        assert!(delta.len() < full_delta.len(), "{} !< {}", delta.len(), full_delta.len());
        let rebuilt = Rebuilt::from_updates([v1.as_slice(), delta.as_slice()]).unwrap();
        assert_eq!(rebuilt.text(), doc.get_or_insert_text(TEXT_NAME).get_string(&doc.transact()));
        assert_eq!(strip_known_deletions(&[1, 2], &v1_ds), vec![1, 2], "not an update: unchanged");
    }
}
