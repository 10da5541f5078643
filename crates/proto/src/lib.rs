//! Reynard's shared vocabulary: typed ids, workspace roles with their permission
//! table, and the JSON shapes of the HTTP API.
//!
//! # Layout
//! - [`ids`]: newtype ids, one per domain entity.
//! - [`document`]: document path rules and the editor language of a path.
//! - [`role`]: [`Role`] and the `Role::can_*` permission table every check goes through.
//! - [`api`]: request and response bodies of `/api/v1`.
//! - [`chat`]: rooms and chat messages: API bodies and the live events of a workspace.
//! - [`call`]: a room's call: the frames of its socket, grants, ICE servers.
//! - [`schedule`]: meetings, agendas, free/busy and slot finding.
//!
//! This crate sits at the bottom of the workspace: it depends on `serde` only.
//! The `openapi` feature adds a `schemars::JsonSchema` derive to every type
//! that is a request or response body (and to what they contain), from which
//! the server derives the schemas of its OpenAPI document.

pub mod api;
pub mod call;
pub mod chat;
pub mod document;
pub mod ids;
pub mod role;
pub mod schedule;

pub use ids::{DocumentId, MessageId, ParticipantId, RoomId, TrackId, UserId, WorkspaceId};
pub use role::Role;
