//! Keeping an open document in step with its rooms in other processes: the
//! bus subscription that queues their events, applying their durable updates
//! in sequence order, filling gaps (a lost or overtaken message, a sequence
//! number taken by another process) by catching up from the log, and
//! publishing this room's updates and awareness.
//!
//! A stored update that does not apply is never skipped: the room stops
//! without a snapshot, so no compaction deletes the entry.

use std::sync::Arc;

use crate::collab::queue;
use reynard_bus::{Bus, Payload, ProcessId, Published, SubscriptionId, Topic};

use super::RoomTask;
use crate::collab::events::{HubError, RoomEvent};

/// Subscribes a room's queue (`tx`) to its document's `topic`: every event
/// another process publishes there becomes a [`RoomEvent::Remote`].
pub(super) fn subscribe(
    bus: &dyn Bus,
    topic: &Topic,
    process: ProcessId,
    tx: queue::WeakSender<RoomEvent>,
) -> SubscriptionId {
    bus.subscribe(
        topic,
        Arc::new(move |event: Published| {
            if event.origin != process
                && let Some(tx) = tx.upgrade()
            {
                // A full queue drops the event: the gap is caught up from the log.
                let _ = tx.try_send(RoomEvent::Remote(event));
            }
        }),
    )
}

impl RoomTask {
    /// Stops hearing other processes' events.
    pub(super) fn unsubscribe(&self) {
        self.bus.unsubscribe(&self.topic, self.subscription);
    }

    /// Whether rooms of this document elsewhere may listen (publishing copies each event).
    pub(super) fn has_peers(&self) -> bool {
        self.bus.has_peers(&self.topic, self.subscription)
    }

    /// Publishes an event of this room to its rooms in other processes.
    pub(super) fn publish(&self, payload: Payload) {
        self.bus.publish(Published { origin: self.process, topic: self.topic.clone(), payload });
    }

    /// Applies other processes' updates in sequence order; a gap (a lost or
    /// overtaken message) is filled from the log. Returns the updates that changed
    /// this document, for local clients.
    pub(super) async fn apply_remote(&mut self, mut remote: Vec<(i64, Arc<[u8]>)>) -> Result<Vec<Vec<u8>>, HubError> {
        remote.sort_by_key(|(seq, _)| *seq);
        let mut changed = Vec::new();
        for (seq, update) in remote {
            if seq <= self.seq {
                continue;
            }
            if seq > self.seq + 1 {
                changed.extend(self.catch_up().await?);
                continue;
            }
            if self.apply_log_entry(seq, &update)? {
                changed.push(update.to_vec());
            }
            self.seq = seq;
            self.log.appended(update.len());
        }
        Ok(changed)
    }

    /// Whether the log has entries past this room's position (a check for
    /// what the bus lost; failures are logged and say no).
    pub(super) async fn log_is_ahead(&self) -> bool {
        match self.store.document_head(&self.doc).await {
            Ok(head) => head > self.seq,
            Err(err) => {
                tracing::warn!(%err, "could not read the log's head");
                false
            }
        }
    }

    /// Reads what other processes appended after `self.seq` (or folded into a
    /// newer snapshot) and applies it. Returns the updates that changed the document.
    pub(super) async fn catch_up(&mut self) -> Result<Vec<Vec<u8>>, HubError> {
        let state = self.store.load_document_state(&self.doc).await.map_err(|e| HubError::Storage(e.to_string()))?;
        let mut changed = Vec::new();
        if let Some((snapshot_seq, snapshot)) = &state.snapshot
            && *snapshot_seq > self.seq
        {
            if self.apply_log_entry(*snapshot_seq, snapshot)? {
                changed.push(snapshot.clone());
            }
            self.seq = *snapshot_seq;
        }
        for (seq, update) in state.updates {
            if seq <= self.seq {
                continue;
            }
            let bytes = update.len();
            if self.apply_log_entry(seq, &update)? {
                changed.push(update);
            }
            self.log.appended(bytes);
            self.seq = seq;
        }
        tracing::debug!(seq = self.seq, updates = changed.len(), "caught up from the log");
        Ok(changed)
    }

    /// Applies a durable entry of the log (or a snapshot) made elsewhere. One that
    /// does not apply is not skipped: the room would hold less than the log says
    /// while its position moved past the entry, and a later compaction would
    /// fold that position into a snapshot and delete the entry for good. The
    /// room is marked broken instead (it stops and never compacts), its position
    /// stays before the entry, and the error says which entry.
    fn apply_log_entry(&mut self, seq: i64, update: &[u8]) -> Result<bool, HubError> {
        self.room.apply_logged_update(update).map_err(|err| {
            tracing::error!(
                seq,
                %err,
                "a stored update of this document does not apply: closing the room; the log is kept as it is"
            );
            self.broken = true;
            HubError::Storage(format!("log entry {seq} does not apply: {err}"))
        })
    }
}
