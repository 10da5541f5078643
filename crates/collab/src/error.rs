//! The errors of this crate: what can be wrong with a frame a client sent, and with stored updates.

use crate::awareness::ConnId;

/// Result type of this crate, defaulting to [`ProtocolError`].
pub type Result<T, E = ProtocolError> = std::result::Result<T, E>;

/// Why a frame from a client was refused. The room is unchanged whenever one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The frame holds no bytes at all.
    #[error("empty frame: a frame must hold at least one message")]
    EmptyFrame,
    /// A length or number runs past the end of the data.
    #[error("truncated message: {expected} more bytes needed but only {available} left")]
    Truncated {
        /// How many bytes the data announced or the reader needed.
        expected: u64,
        /// How many bytes were left.
        available: usize,
    },
    /// A varUint is longer than 10 bytes or does not fit in a `u64`.
    #[error("varUint overflow: longer than 10 bytes or larger than u64::MAX")]
    VarUintOverflow,
    /// The first varUint of a message is not sync (0), awareness (1), auth (2) or query awareness (3).
    #[error("unknown message type {0}")]
    UnknownMessageType(u64),
    /// A sync message is not step 1 (0), step 2 (1) or update (2).
    #[error("unknown sync message type {0}")]
    UnknownSyncMessageType(u64),
    /// An auth message is not permission denied (0) or permission granted (1).
    #[error("unknown auth message type {0}")]
    UnknownAuthMessageType(u64),
    /// A varString is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// An awareness payload has bytes after its last entry.
    #[error("{count} trailing bytes after the awareness entries")]
    TrailingBytes {
        /// How many bytes were left over.
        count: usize,
    },
    /// An awareness state is not a JSON value.
    #[error("awareness state of client {client_id} is not JSON: {reason}")]
    InvalidAwarenessState {
        /// The awareness client the state belongs to.
        client_id: u64,
        /// What the JSON parser said.
        reason: String,
    },
    /// An awareness state is larger than the limit.
    #[error("awareness state of client {client_id} is {size} bytes, more than the {max} allowed")]
    AwarenessStateTooLarge {
        /// The awareness client the state belongs to.
        client_id: u64,
        /// Size of the JSON text in bytes.
        size: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The connection would own more awareness clients than allowed.
    #[error("a connection may own at most {max} awareness clients")]
    TooManyAwarenessClients {
        /// The limit.
        max: usize,
    },
    /// A sync step 1 carries something that is not a state vector.
    #[error("malformed state vector: {0}")]
    MalformedStateVector(String),
    /// A sync step 2 or update carries something yrs cannot decode or apply.
    #[error("malformed document update: {0}")]
    MalformedUpdate(String),
    /// The frame is larger than the room's message limit.
    #[error("message of {size} bytes exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// Size of the frame in bytes.
        size: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// Accepting the update would make the document larger than the room's limit.
    #[error("document would grow to about {size} bytes, more than the limit of {max} bytes")]
    DocumentTooLarge {
        /// Estimated size of the document with the update.
        size: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// Too many updates already wait for what they build on.
    #[error("too many updates wait for updates they build on (at most {max})")]
    TooManyWaitingUpdates {
        /// The limit.
        max: usize,
    },
    /// The connection was never connected to the room, or has left it.
    #[error("connection {0} is not connected to this room")]
    UnknownConnection(ConnId),
}

/// Why stored updates could not be loaded into a room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The stored update at `index` (0 = the first one given) cannot be decoded or applied.
    #[error("stored update {index} is malformed: {reason}")]
    MalformedUpdate {
        /// Position of the update in the sequence given to `DocRoom::load`.
        index: usize,
        /// What yrs reported.
        reason: String,
    },
    /// The updates applied, but yrs cannot encode the resulting document.
    #[error("the loaded document cannot be encoded: {reason}")]
    Unencodable {
        /// What yrs reported.
        reason: String,
    },
}
