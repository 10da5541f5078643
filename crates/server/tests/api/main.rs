//! Integration tests against a real server on port 0. One test binary (faster
//! builds), one module per area.

mod access;
mod accounts;
mod browser;
mod calls;
mod chat;
mod collab;
mod convergence;
mod history;
mod layering;
mod lease;
mod mail;
mod meeting_changes;
mod meeting_mail;
mod meetings;
mod meta;
mod openapi;
mod permissions;
mod redis_scale_out;
mod scale_out;
mod smtp_sink;
mod support;
mod tls;
mod workspaces;
