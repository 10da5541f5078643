//! The `reynard` server: the only crate that knows HTTP, sockets, the environment
//! and the command line. It wires the domain crates to the store.
//!
//! # Layout
//! - [`config`]: flags with `REYNARD_*` fallbacks, validated into [`config::Config`].
//! - [`app`]: the router, serving with graceful shutdown, signals.
//! - [`routes`]: the route table; the router and the OpenAPI document come from it.
//! - [`openapi`]: the OpenAPI document, rendered from the route table, with schemas
//!   derived from the body types.
//! - [`api`]: handlers, one module per area (accounts, verification, invitations, workspaces,
//!   rooms, chat, meetings, agenda, calendar feeds, meta).
//! - [`schedule`]: meetings on the server: stored series, iMIP mails, the reminder and
//!   follow-up loop and its clock.
//! - [`ws`]: the WebSocket toolkit of every live service: send queues, the connection
//!   registry, message rates, close codes.
//! - [`wake`]: the wake-up of a queue's one consumer (a connection's send queue, a room's
//!   events): a flag and a waker, so the wait is a pointer.
//! - [`collab`]: live documents: the y-websocket endpoint and per-document room tasks.
//! - [`live`]: the workspace's live socket: chat delivery, typing and presence.
//! - [`liveness`]: which other processes are alive (heartbeats on the control topic).
//! - [`control`]: access changes (roles, removals, sign-outs, deleted workspaces) acted on
//!   by every process.
//! - [`background`]: tasks beside the main listener (the purge, the scheduling loop, the
//!   metrics listener).
//! - [`client_ip`]: the client address behind trusted proxies, and rate-limit keys.
//! - [`password_hashers`]: the bounded pool every password hash and check runs on.
//! - [`housekeeping`]: the periodic purge of expired sessions and idle limiter entries.
//! - [`history_work`]: diffs and version rebuilds on a bounded set of blocking threads.
//! - [`extract`]: JSON bodies and the signed-in user (bearer token or cookie).
//! - [`error`]: [`error::ApiError`], the JSON error answer.
//! - [`net`]: the listener (`TCP_NODELAY`, connection gauge).
//! - [`mail`]: the mails the server sends and the links in them.
//! - [`tls`]: HTTPS/WSS served directly, the certificate reloaded on SIGHUP.
//! - [`security`]: the `Origin` rule against cross-site requests, security headers.
//! - [`metrics`]: Prometheus metrics.
//! - [`web`]: the embedded browser client (built from `web/dist`).
//! - [`state`]: [`state::AppState`], shared by handlers.

pub mod api;
pub mod app;
pub mod background;
pub mod client_ip;
pub mod collab;
pub mod config;
pub mod control;
pub mod error;
pub mod extract;
pub mod history_work;
pub mod housekeeping;
pub mod lease;
pub mod live;
pub mod liveness;
pub mod mail;
pub mod metrics;
pub mod net;
pub mod openapi;
pub mod password_hashers;
pub mod routes;
pub mod rtc;
pub mod schedule;
pub mod security;
pub mod state;
pub mod tls;
pub mod wake;
pub mod web;
pub mod ws;
