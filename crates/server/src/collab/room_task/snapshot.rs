//! Folding an open document's log into its snapshot: when the log is worth
//! folding ([`reynard_collab::update_log::LogSize::compaction_due`], checked
//! after each batch), when the room goes idle, and when it stops. A broken
//! room (a stored update that does not apply) never folds, so the entry stays.

use reynard_collab::update_log::LogSize;

use super::RoomTask;

impl RoomTask {
    /// Folds the log into a snapshot if it is due.
    pub(super) async fn snapshot_if_due(&mut self) {
        if self.log.compaction_due(self.config.compact_after) {
            self.snapshot().await;
        }
    }

    /// Folds the log into a snapshot, if anything is not folded yet.
    pub(super) async fn snapshot(&mut self) {
        if self.log.entries == 0 || self.broken {
            return;
        }
        let state = self.room.encode_state();
        match self.store.write_snapshot(&self.doc, self.seq, &state).await {
            Ok(true) => {
                tracing::debug!(seq = self.seq, bytes = state.len(), "snapshot written");
                self.log = LogSize { entries: 0, bytes: 0, snapshot_bytes: state.len() };
            }
            Ok(false) => {
                // Another process folded the log further: this room is behind
                // and catches up from the log as its next updates arrive.
                tracing::info!(seq = self.seq, "a newer snapshot is stored; this one was not written");
            }
            Err(err) => tracing::warn!(%err, "could not write snapshot; the log is kept"),
        }
    }
}
