//! HTTP handlers, one module per area of the API.

pub mod accounts;
pub mod agenda;
pub mod calendar_feed;
pub mod chat;
pub mod documents;
pub mod history;
pub mod invitations;
pub mod meetings;
pub mod meta;
pub mod rooms;
pub mod verification;
pub mod workspaces;
