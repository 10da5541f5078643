//! Reynard's persistence: one [`Store`] over SQLite (the default, embedded) or
//! PostgreSQL (scale-out), selected by the database URL.
//!
//! # Layout
//! - [`chat`]: rooms of a workspace, their messages, mentions, read markers and search.
//! - [`db`]: connecting, per-backend pragmas, migrations, readiness.
//! - [`error`]: [`Error`], which turns constraint violations into domain errors.
//! - [`accounts`]: users and their sessions/tokens; verifying an email claims pending invitations.
//! - [`documents`]: documents, their update log and snapshots.
//! - [`followups`]: call attendance, follow-ups sent, and the chat and document
//!   edits of a time window (what meeting follow-ups tell).
//! - `log_writer`: group commit of update-log appends across documents.
//! - [`history`]: versions (checkpoints and deltas) and branches of documents.
//! - [`lease`]: the lease of the one process serving the database.
//! - [`meetings`]: meetings with their rooms and attendees, splitting a series,
//!   reminders sent, calendar feeds.
//! - [`workspaces`]: workspaces, members with roles, invitations and their links; the last owner rule.
//! - [`secrets`]: server-wide secrets (the link signing key), created once.
//!
//! Queries are written once in the SQL both backends accept (`$1` placeholders,
//! `TEXT`/`BIGINT` columns, times as Unix milliseconds) and run through sqlx's
//! `Any` driver; migrations are kept per backend under `migrations/`. The one
//! exception is the multi-row log insert, which gives SQLite anonymous `?`
//! parameters (see `log_writer`).

pub mod accounts;
pub mod calls;
pub mod chat;
pub mod db;
pub mod documents;
pub mod error;
pub mod followups;
pub mod history;
pub mod lease;
mod log_writer;
pub mod meetings;
pub mod secrets;
pub mod workspaces;

pub use accounts::{DEFAULT_WORKING_HOURS, NewUser, Profile, SessionKind, User};
pub use db::{Backend, Store};
pub use error::{Error, Result};
pub use followups::Attendance;
pub use meetings::{AttendeeRow, MeetingChange, MeetingRow, MeetingTail, NewMeeting};
pub use workspaces::{Invitation, NewInvitation};

/// Milliseconds since the Unix epoch: the time type of every column.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A fresh, time-ordered id (UUIDv7) for a new row.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
