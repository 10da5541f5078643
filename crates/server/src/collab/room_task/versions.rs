//! Versions of an open document: when an automatic version is due (a burst of
//! editing ended, or editing went on for the longest interval without one),
//! and recording a version — the change since the previous one or, now and
//! then, the whole state — with its authors and a summary of the change.

use std::collections::BTreeSet;
use std::time::Instant;

use reynard_collab::history::{DIFF_BUDGET, Rebuilt, count_changes, strip_known_deletions};
use reynard_proto::UserId;
use reynard_store::history::{NewVersion, VersionRecord};

use super::RoomTask;
use crate::collab::CollabConfig;
use crate::collab::events::{HubError, VersionKind};
use crate::history_work;

/// What a room knows about its document's last version and the edits since.
#[derive(Debug)]
pub(super) struct Versions {
    /// Who changed the document since its last version.
    authors: BTreeSet<UserId>,
    /// Log position of the last version (0 without versions).
    seq: i64,
    /// Text of the last version, once known (for the next version's summary).
    text: Option<String>,
    /// Delete set of the last version, once known (the next delta leaves it out).
    deletions: Option<Vec<u8>>,
    /// When the last version was recorded (or the room loaded).
    recorded_at: Instant,
    /// When the last local update was accepted.
    edited_at: Option<Instant>,
}

impl Versions {
    /// A room just loaded at log position `seq`, whose last version is at
    /// `version_seq` and was changed since by `authors`.
    pub(super) fn loaded(version_seq: i64, authors: BTreeSet<UserId>, seq: i64) -> Self {
        Versions {
            authors,
            seq: version_seq,
            text: None,
            deletions: None,
            recorded_at: Instant::now(),
            edited_at: (seq > version_seq).then(Instant::now),
        }
    }

    /// Local updates by `authors` were accepted (and logged) just now.
    pub(super) fn edited(&mut self, authors: impl IntoIterator<Item = UserId>) {
        self.authors.extend(authors);
        self.edited_at = Some(Instant::now());
    }

    /// When the next automatic version is due for a document at log position
    /// `seq`: a burst of editing ended, or editing went on for the longest
    /// interval without a version.
    fn due(&self, seq: i64, config: &CollabConfig) -> Option<Instant> {
        if seq <= self.seq {
            return None;
        }
        let edited_at = self.edited_at?;
        Some((edited_at + config.version_after_idle).min(self.recorded_at + config.version_max_interval))
    }
}

impl RoomTask {
    /// When the next automatic version is due, if one is.
    pub(super) fn auto_version_due(&self) -> Option<Instant> {
        self.versions.due(self.seq, &self.config)
    }

    /// Records an automatic version if anything changed since the last one.
    pub(super) async fn auto_version(&mut self) {
        if self.seq <= self.versions.seq {
            return;
        }
        // With the document open on several processes, another may have
        // recorded this state already: once is enough.
        if self.bus.distributed()
            && let Ok(Some(base)) = self.store.version_base(&self.doc).await
            && base.seq >= self.seq
        {
            self.versions.seq = self.seq;
            self.versions.recorded_at = Instant::now();
            self.versions.edited_at = None;
            self.versions.text = None;
            self.versions.deletions = None;
            return;
        }
        if let Err(err) = self.create_version(VersionKind::Auto, None).await {
            tracing::warn!(%err, "could not record an automatic version");
            // Try again after the next interval rather than in a loop.
            self.versions.recorded_at = Instant::now();
            self.versions.edited_at = None;
        }
    }

    /// Records the document as it is now: the change since the last version
    /// (or, every few versions, the whole state), its authors and a summary.
    pub(super) async fn create_version(
        &mut self,
        kind: VersionKind,
        name: Option<String>,
    ) -> Result<Option<VersionRecord>, HubError> {
        let storage = |e: reynard_store::Error| HubError::Storage(e.to_string());
        let base = self.store.version_base(&self.doc).await.map_err(storage)?;
        // The last version is not this room's (another process recorded one
        // since): what this room remembers of it is stale.
        if base.as_ref().is_some_and(|base| base.seq != self.versions.seq) {
            self.versions.text = None;
            self.versions.deletions = None;
        }
        let text = self.room.text();
        let failed = |e: history_work::JobFailed| HubError::Storage(e.to_string());
        if let (None, Some(base)) = (&self.versions.text, &base) {
            let updates = self.store.version_updates(&self.doc, &base.id).await.map_err(storage)?;
            let (text, deletions) = history_work::run(history_work::Queue::Rooms, move || {
                Rebuilt::from_updates(updates.iter().map(Vec::as_slice))
                    .map(|rebuilt| (rebuilt.text(), rebuilt.delete_set()))
            })
            .await
            .map_err(failed)?
            .map_err(|e| HubError::Storage(e.to_string()))?;
            self.versions.text = Some(text);
            self.versions.deletions = Some(deletions);
        }
        // Counting is a diff: off the async workers, and bounded in time (a
        // coarse count is still the exact size of a valid edit).
        let previous = self.versions.text.take().unwrap_or_default();
        let (previous, text, counts) = history_work::run(history_work::Queue::Rooms, move || {
            let counts = count_changes(&previous, &text, DIFF_BUDGET);
            (previous, text, counts)
        })
        .await
        .map_err(failed)?;
        self.versions.text = Some(previous);
        let (added, removed) = (counts.added, counts.removed);
        // A delta holds what changed since the last version; a checkpoint (the
        // whole state) is written once the deltas since the last one outweigh it
        // twice, which bounds both storage and the work to rebuild a version.
        let delta = match (&base, &self.versions.deletions) {
            (Some(base), Some(known)) => {
                let full = self.room.encode_since(&base.state_vector).map_err(|e| HubError::Invalid(e.to_string()))?;
                Some((base, strip_known_deletions(&full, known)))
            }
            _ => None,
        };
        let (is_checkpoint, data) = match delta {
            Some((base, delta)) if base.bytes_since_checkpoint + delta.len() as i64 <= 2 * base.checkpoint_bytes => {
                (false, delta)
            }
            _ => (true, self.room.encode_state()),
        };
        let authors: Vec<UserId> = std::mem::take(&mut self.versions.authors).into_iter().collect();
        let state_vector = self.room.state_vector();
        let record = self
            .store
            .create_version(NewVersion {
                doc_id: &self.doc,
                seq: self.seq,
                kind: kind.as_str(),
                name: name.as_deref(),
                author_ids: &authors,
                added: added as i64,
                removed: removed as i64,
                state_vector: &state_vector,
                is_checkpoint,
                data: &data,
            })
            .await;
        let record = match record {
            Ok(record) => record,
            // Another process versioned this state meanwhile (see `auto_version`).
            Err(reynard_store::Error::Conflict(_)) if kind == VersionKind::Auto => {
                self.versions.authors.extend(authors);
                self.versions.seq = self.seq;
                self.versions.recorded_at = Instant::now();
                self.versions.edited_at = None;
                self.versions.text = None;
                self.versions.deletions = None;
                return Ok(None);
            }
            Err(err) => {
                self.versions.authors.extend(authors);
                return Err(storage(err));
            }
        };
        self.versions.seq = self.seq;
        self.versions.text = Some(text);
        self.versions.deletions = Some(self.room.delete_set());
        self.versions.recorded_at = Instant::now();
        tracing::debug!(kind = kind.as_str(), seq = self.seq, is_checkpoint, "version recorded");
        Ok(Some(record))
    }
}
