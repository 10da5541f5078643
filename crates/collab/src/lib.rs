//! Reynard's collaborative documents, without IO: the y-websocket protocol, awareness relay
//! and one in-memory room per document on yrs. The server feeds it frames and sends, persists
//! and broadcasts what it returns.
//!
//! # Layout
//! - [`protocol`]: the y-websocket wire format: lib0 varints, [`Message`], [`decode_frame`]
//!   and one encoder per message.
//! - [`awareness`]: [`AwarenessRegistry`], the presence and cursor states of a room, with echo
//!   suppression and removal of a closed connection's states.
//! - [`room`]: [`DocRoom`], one document with its connections (writers and viewers), limits,
//!   and recovery from malformed updates.
//! - [`history`]: rebuilding a version from stored updates, and line diffs.
//! - [`error`]: [`ProtocolError`] (a refused frame) and [`LoadError`] (unloadable stored updates).
//! - [`update_log`]: the update log's policy: a batch's updates as log entries (one per run
//!   of one author's updates) and when the log is worth folding into a snapshot.
//! - `update_bounds` (private): checks updates and state vectors before yrs decodes them
//!   (counts that would make yrs allocate far beyond the message, nesting that would overflow
//!   the stack, shapes that make yrs read freed memory) and records what an update builds on.
//!
//! Architecture invariant: this crate does no IO (no sockets, files, clocks or async runtime).

pub mod awareness;
pub mod broadcast;
pub mod error;
pub mod history;
pub mod protocol;
pub mod room;
#[cfg(test)]
mod test_edits;
mod update_bounds;
mod update_concat;
pub mod update_log;

pub use awareness::{AwarenessChange, AwarenessRegistry, ConnId};
pub use broadcast::{encode_updates_message, merge_awareness_messages, merge_updates};
pub use error::{LoadError, ProtocolError, Result};
pub use protocol::{AuthMessage, Message, decode_frame};
pub use room::{DocRoom, Effects, Limits};
