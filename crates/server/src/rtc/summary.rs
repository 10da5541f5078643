//! Keeping finished calls' summaries: the engine reports each call that ended,
//! a task writes it to the database (off the engine's thread).

use reynard_proto::{RoomId, WorkspaceId};
use reynard_store::Store;
use reynard_store::calls::NewCallSummary;
use tokio::sync::mpsc;

/// A call that ended, as the engine saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallSummary {
    pub room: RoomId,
    pub workspace: WorkspaceId,
    pub started_at_ms: i64,
    pub ended_at_ms: i64,
    pub peak_participants: i64,
    pub total_joins: i64,
    pub average_bitrate_bps: i64,
    pub loss: f64,
}

/// Writes every summary sent on the channel until it closes.
pub fn keep_summaries(store: Store) -> mpsc::UnboundedSender<CallSummary> {
    let (tx, mut rx) = mpsc::unbounded_channel::<CallSummary>();
    tokio::spawn(async move {
        while let Some(summary) = rx.recv().await {
            let row = NewCallSummary {
                room: summary.room.clone(),
                started_at: summary.started_at_ms,
                ended_at: summary.ended_at_ms,
                peak_participants: summary.peak_participants,
                total_joins: summary.total_joins,
                average_bitrate_bps: summary.average_bitrate_bps,
                loss: summary.loss,
            };
            match store.insert_call_summary(&row).await {
                Ok(()) => tracing::info!(
                    room = %summary.room,
                    workspace = %summary.workspace,
                    seconds = (summary.ended_at_ms - summary.started_at_ms) / 1000,
                    peak = summary.peak_participants,
                    bitrate = summary.average_bitrate_bps,
                    loss = summary.loss,
                    "call ended"
                ),
                // The room may have been deleted meanwhile.
                Err(err) => tracing::warn!(%err, room = %summary.room, "a call summary could not be kept"),
            }
        }
    });
    tx
}
