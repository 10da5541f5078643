//! The built-in TURN server: UDP relays for call participants who cannot reach
//! the SFU or each other directly, on the `turn` crate (webrtc-rs).
//!
//! Clients authenticate with TURN REST credentials minted by the server
//! ([`reynard_rtc::turn_credentials::mint`]): username `"<expiry>:<user id>"`,
//! password base64(HMAC-SHA1(shared secret, username)). Nothing is shared with
//! the server but the secret.
//!
//! # Layout
//! - [`server`]: [`TurnServer`], started from a [`TurnConfig`]: binds the
//!   listening socket, relays on the configured address, closes everything.
//! - `auth`: the `turn` crate's auth handler for TURN REST usernames.
//! - `relay`: binds each allocation's relay socket and keeps track of it.
//!
//! Only UDP is served (no TCP or TLS on 443: `turn` 0.17 has neither).

mod auth;
mod relay;
pub mod server;

pub use server::{TurnConfig, TurnServer};

/// What starting or stopping the TURN server can fail with.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// The configuration cannot work (an empty secret, an unusable relay address…).
    #[error("invalid TURN configuration: {0}")]
    Config(String),
    /// The listening socket could not be bound.
    #[error("cannot bind the TURN socket on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The `turn` crate refused to start the server.
    #[error("cannot start the TURN server: {0}")]
    Start(#[source] turn::Error),
    /// The `turn` crate failed to stop the server.
    #[error("cannot stop the TURN server: {0}")]
    Close(#[source] turn::Error),
    /// Sockets were still open this long after the server was told to stop.
    #[error("the TURN server on {addr} still held {open} socket(s) {waited:?} after stopping")]
    CloseTimeout { addr: std::net::SocketAddr, open: usize, waited: std::time::Duration },
}
