//! Live documents: the y-websocket endpoint and the per-document room tasks.
//!
//! # Layout
//! - [`events`]: what the hub and a room task exchange: [`events::RoomEvent`],
//!   its answers, [`events::HubError`]. Both depend on it.
//! - [`hub`]: [`hub::DocHub`], the registry of open documents; starts exactly one
//!   room task per document and stops it after the last client left.
//! - [`room_task`]: the task that owns a document in memory: it applies frames
//!   through [`reynard_collab::DocRoom`], appends accepted updates to the log
//!   (group commit) **before** anyone sees them, then fans out. It sees the hub
//!   only through [`room_task::RoomContext`] and [`room_task::RoomRegistry`].
//! - [`socket`]: one WebSocket connection, one task: authentication, then the
//!   shared connection loop of [`crate::ws::connection`].

pub mod events;
pub mod hub;
pub mod queue;
pub mod room_task;
pub mod socket;

use std::time::Duration;

/// Settings of live documents.
#[derive(Debug, Clone)]
pub struct CollabConfig {
    /// Per-room limits (message and document size).
    pub limits: reynard_collab::Limits,
    /// How long a document stays in memory after its last client left.
    pub idle_grace: Duration,
    /// Frames queued for one connection before it counts as too slow and is closed.
    pub send_queue: usize,
    /// Bytes queued for one connection before it counts as too slow and is
    /// closed (a frame of any size is let into an empty queue; the frame being
    /// written has left the queue). Bursts are merged into one frame, so a count alone does not
    /// bound what a slow client holds.
    pub send_queue_bytes: usize,
    /// Bytes of client frames a room holds queued before senders wait.
    pub room_queue_bytes: usize,
    /// Document connections one user may hold at once in this process.
    pub max_connections_per_user: usize,
    /// Log entries after which the log is folded into a snapshot.
    pub compact_after: usize,
    /// Messages a connection may send per second (sustained; bursts of 4× pass).
    pub messages_per_second: u32,
    /// An automatic version is recorded once editing pauses this long…
    pub version_after_idle: Duration,
    /// …or after this long of continuous editing.
    pub version_max_interval: Duration,
    /// How long a room holds its clients' awareness changes (cursors) after
    /// the first, to send them merged and after the content they point at; zero sends them at once.
    pub presence_delay: Duration,
}

/// The default of [`CollabConfig::presence_delay`], in milliseconds.
pub const DEFAULT_PRESENCE_DELAY_MS: u64 = 30;

impl Default for CollabConfig {
    fn default() -> Self {
        Self {
            limits: reynard_collab::Limits::default(),
            idle_grace: Duration::from_secs(30),
            send_queue: 1024,
            send_queue_bytes: 4 * 1024 * 1024,
            room_queue_bytes: 16 * 1024 * 1024,
            max_connections_per_user: 50,
            compact_after: 2000,
            messages_per_second: 500,
            version_after_idle: Duration::from_secs(30),
            version_max_interval: Duration::from_secs(10 * 60),
            presence_delay: Duration::from_millis(DEFAULT_PRESENCE_DELAY_MS),
        }
    }
}
