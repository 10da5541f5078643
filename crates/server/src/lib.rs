//! The `reynard` server: the only crate that knows HTTP, sockets, the environment
//! and the command line. It wires the domain crates to the store.
//!
//! # Layout
//! - [`config`]: flags with `REYNARD_*` fallbacks, validated into [`config::Config`].
//! - [`app`]: the router, serving with graceful shutdown, signals.
//! - [`routes`]: the route table; the router and the OpenAPI document come from it.
//! - [`api`]: handlers, one module per area (accounts, workspaces, meta).
//! - [`collab`]: live documents: the y-websocket endpoint and per-document room tasks.
//! - [`history_work`]: diffs and version rebuilds on a bounded set of blocking threads.
//! - [`extract`]: JSON bodies and the signed-in user (bearer token or cookie).
//! - [`error`]: [`error::ApiError`], the JSON error answer.
//! - [`net`]: the listener (`TCP_NODELAY`, connection gauge).
//! - [`metrics`]: Prometheus metrics.
//! - [`web`]: the embedded browser client (built from `web/dist`).
//! - [`state`]: [`state::AppState`], shared by handlers.

pub mod api;
pub mod app;
pub mod collab;
pub mod config;
pub mod error;
pub mod extract;
pub mod history_work;
pub mod metrics;
pub mod net;
pub mod routes;
pub mod state;
pub mod web;
