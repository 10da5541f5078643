//! Reynard's shared vocabulary: typed ids, workspace roles with their permission
//! table, and the JSON shapes of the HTTP API.
//!
//! # Layout
//! - [`ids`]: newtype ids, one per domain entity.
//! - [`document`]: document path rules and the editor language of a path.
//! - [`role`]: [`Role`] and the `Role::can_*` permission table every check goes through.
//! - [`api`]: request and response bodies of `/api/v1`.
//!
//! This crate sits at the bottom of the workspace: it depends on `serde` only.

pub mod api;
pub mod document;
pub mod ids;
pub mod role;

pub use ids::{DocumentId, UserId, WorkspaceId};
pub use role::Role;
