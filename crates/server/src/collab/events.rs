//! What the hub and a document's room task exchange: the events a room
//! handles ([`RoomEvent`]), what they answer ([`Export`], the kinds of version
//! in [`VersionKind`]) and why a request failed ([`HubError`]). Both sides
//! depend on this module; the room task does not depend on the hub.

use bytes::Bytes;
use reynard_bus::Published;
use reynard_collab::ConnId;
use reynard_proto::{Role, UserId, WorkspaceId};
use reynard_store::history::VersionRecord;
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use crate::ws::Outbox;

/// Why a live-document request failed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("the document could not be loaded or stored: {0}")]
    Storage(String),
    #[error("the document is too large for this change: {0}")]
    TooLarge(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the document was deleted")]
    Deleted,
    #[error("the document room stopped")]
    Stopped,
}

/// What a room task is asked to do.
#[derive(Debug)]
pub enum RoomEvent {
    /// A client connects; `joined` completes once its first messages are queued.
    Join { conn: ConnId, user: UserId, can_write: bool, outbox: Outbox, joined: oneshot::Sender<Result<(), HubError>> },
    /// A binary frame from a client, holding its share of the room's queue
    /// budget until the room has handled it.
    Frame { conn: ConnId, data: Bytes, queued: OwnedSemaphorePermit },
    /// A client disconnected.
    Leave { conn: ConnId },
    /// Read the text.
    Text { reply: oneshot::Sender<Result<String, HubError>> },
    /// Replace the text (an HTTP `PUT …/content`).
    ReplaceText { text: String, user: UserId, reply: oneshot::Sender<Result<bool, HubError>> },
    /// Close every connection and stop.
    Shutdown { code: u16, reason: &'static str },
    /// An event of this document's room in another process.
    Remote(Published),
    /// Record a version of the document as it is now.
    CreateVersion {
        kind: VersionKind,
        name: Option<String>,
        reply: oneshot::Sender<Result<Option<VersionRecord>, HubError>>,
    },
    /// Export the document: everything beyond `since` (a state vector), or all.
    Export { since: Option<Vec<u8>>, reply: oneshot::Sender<Result<Export, HubError>> },
    /// Apply an update made elsewhere (a branch being merged), as a normal update.
    Apply { update: Vec<u8>, user: UserId, reply: oneshot::Sender<Result<bool, HubError>> },
    /// A user's role in a workspace changed (`None`: no longer a member). Rooms
    /// of that workspace apply it to the user's live connections at once.
    AccessChanged { workspace: WorkspaceId, user: UserId, role: Option<Role> },
}

/// Why a version is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionKind {
    Named,
    Auto,
    Restore,
    Merge,
}

impl VersionKind {
    /// The kind as stored with the version.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionKind::Named => "named",
            VersionKind::Auto => "auto",
            VersionKind::Restore => "restore",
            VersionKind::Merge => "merge",
        }
    }
}

/// A document exported from its room.
#[derive(Debug, Clone)]
pub struct Export {
    /// One v1 update.
    pub update: Vec<u8>,
    /// The document's state vector at the export.
    pub state_vector: Vec<u8>,
    /// The log position at the export.
    pub seq: i64,
}
