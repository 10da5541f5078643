//! The policy of a document's update log, without IO: which entries a batch of
//! accepted updates becomes ([`merge_author_runs`]), and when the log is worth
//! folding into a snapshot ([`LogSize::compaction_due`]).

use crate::broadcast::merge_updates;

/// The log entries of a batch's accepted updates (each with its author): each
/// run of consecutive updates by one author becomes one entry (the runs keep
/// their order, so every entry applies after the ones before it). A burst of
/// typing is then one row to write, one sequence number to publish, and the
/// same bytes that are broadcast. A run that will not merge stays as it is.
pub fn merge_author_runs<A: PartialEq + Clone>(accepted: Vec<(Vec<u8>, A)>) -> Vec<(Vec<u8>, A)> {
    if accepted.len() < 2 {
        return accepted;
    }
    let mut runs: Vec<Vec<(Vec<u8>, A)>> = Vec::new();
    for entry in accepted {
        match runs.last_mut() {
            Some(run) if run[0].1 == entry.1 => run.push(entry),
            _ => runs.push(vec![entry]),
        }
    }
    runs.into_iter().flat_map(merge_run).collect()
}

/// One run of an author's updates as one entry; a run that will not merge stays as it is.
fn merge_run<A: Clone>(run: Vec<(Vec<u8>, A)>) -> Vec<(Vec<u8>, A)> {
    if run.len() > 1 {
        let parts: Vec<&[u8]> = run.iter().map(|(update, _)| update.as_slice()).collect();
        if let Some(merged) = merge_updates(&parts) {
            return vec![(merged, run[0].1.clone())];
        }
    }
    run
}

/// How much of a document's log is not folded into its snapshot yet.
///
/// Folding costs work in proportion to the whole document (apply, re-encode,
/// rewrite the snapshot), so it waits until the log is worth it: at least
/// `compact_after` entries, and a log that weighs as much as the snapshot — unless
/// the log grows to many times `compact_after` entries, which bounds how many
/// updates a load replays. Folding after a fixed number of entries would rewrite
/// a large document every few seconds while it is being typed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSize {
    /// Log entries after the snapshot.
    pub entries: usize,
    /// Their bytes.
    pub bytes: usize,
    /// The bytes of the snapshot (0 without one).
    pub snapshot_bytes: usize,
}

/// Entries (in multiples of `compact_after`) after which the log is folded
/// whatever the snapshot weighs.
pub const MAX_LOG_FACTOR: usize = 16;

impl LogSize {
    /// One entry of `bytes` was appended.
    pub fn appended(&mut self, bytes: usize) {
        self.entries += 1;
        self.bytes += bytes;
    }

    /// Whether the log should be folded into a snapshot now.
    pub fn compaction_due(&self, compact_after: usize) -> bool {
        self.entries >= compact_after
            && (self.bytes >= self.snapshot_bytes || self.entries >= MAX_LOG_FACTOR.saturating_mul(compact_after))
    }
}

#[cfg(test)]
mod tests {
    use reynard_proto::UserId;
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, GetString, Text, Transact, Update};

    use super::{LogSize, merge_author_runs};

    #[test]
    fn runs_of_one_author_become_one_entry_in_order() {
        let (ann, bob) = (Some(UserId::new("ann")), Some(UserId::new("bob")));
        let writer = Doc::new();
        let text = writer.get_or_insert_text("monaco");
        let mut updates = Vec::new();
        for (i, author) in [&ann, &ann, &bob, &ann, &ann, &ann].into_iter().enumerate() {
            let mut txn = writer.transact_mut();
            text.insert(&mut txn, 0, &i.to_string());
            updates.push((txn.encode_update_v1(), author.clone()));
        }
        let entries = merge_author_runs(updates);
        let authors: Vec<_> = entries.iter().map(|(_, a)| a.clone()).collect();
        assert_eq!(authors, vec![ann.clone(), bob, ann]);
        // Applied in order, the entries rebuild the writer's document.
        let reader = Doc::new();
        let rtext = reader.get_or_insert_text("monaco");
        for (update, _) in &entries {
            reader.transact_mut().apply_update(Update::decode_v1(update).unwrap()).unwrap();
        }
        assert_eq!(rtext.get_string(&reader.transact()), text.get_string(&writer.transact()));
        assert_eq!(merge_author_runs(Vec::<(Vec<u8>, Option<UserId>)>::new()).len(), 0);
    }

    #[test]
    fn compaction_waits_for_the_log_to_weigh_as_much_as_the_snapshot() {
        let log = |entries, bytes, snapshot_bytes| LogSize { entries, bytes, snapshot_bytes };
        // A small document folds after `compact_after` entries.
        assert!(log(2000, 40_000, 10_000).compaction_due(2000));
        assert!(!log(1999, 40_000, 10_000).compaction_due(2000));
        // A large one waits until the log weighs as much…
        assert!(!log(2000, 40_000, 1_000_000).compaction_due(2000));
        assert!(!log(25_000, 999_999, 1_000_000).compaction_due(2000));
        assert!(log(25_000, 1_000_000, 1_000_000).compaction_due(2000));
        // …but never past MAX_LOG_FACTOR × compact_after entries.
        assert!(!log(31_999, 640_000, 10_000_000).compaction_due(2000));
        assert!(log(32_000, 640_000, 10_000_000).compaction_due(2000));
        // A fresh document without snapshot.
        assert!(log(2000, 1, 0).compaction_due(2000));
    }

    #[test]
    fn appending_counts_entries_and_bytes() {
        let mut log = LogSize { entries: 0, bytes: 0, snapshot_bytes: 7 };
        log.appended(10);
        log.appended(5);
        assert_eq!(log, LogSize { entries: 2, bytes: 15, snapshot_bytes: 7 });
    }
}
