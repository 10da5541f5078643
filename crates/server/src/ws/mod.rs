//! The WebSocket toolkit every live service uses (documents, the workspace's
//! live socket): the connection loop they all run, the bounded send queue of a
//! connection, the registry that caps a user's sockets and closes them when
//! access ends, the per-connection message rate, writing a queue to a socket,
//! and the close codes.
//!
//! # Layout
//! - [`connection`]: [`connection::run`], the one loop of every live connection:
//!   writes its queue, reads its frames (frame kind, rate, read errors → close
//!   codes), hands each to the endpoint's [`connection::FrameHandler`], closes.
//! - [`outbox`]: [`Outbox`]/[`outbox::Inbox`], the bounded send queue of one connection.
//! - [`connections`]: [`connections::Connections`], the live sockets by user, session
//!   and workspace: the per-user cap, and closing them when access ends.
//! - [`upgrade`]: before the upgrade: the signed-in user, 426 for plain requests, and
//!   registering the connection (429 past the user's cap).
//! - [`rate`]: [`rate::MessageRate`], the token bucket a connection's reads go through.
//! - [`io`]: writing queued frames (binary or text) to a socket, and closing it
//!   with a code and reason.
//! - [`handshake`]: the upgrade request checked, `101 Switching Protocols`, and
//!   the task that runs the accepted [`handshake::Socket`].
//! - [`socket`]: [`socket::WebSocket`], RFC 6455 framing on the upgraded
//!   connection, built so that an idle socket holds almost nothing.

pub mod connection;
pub mod connections;
pub mod handshake;
pub mod io;
pub mod outbox;
pub mod rate;
pub mod socket;
pub mod upgrade;

pub use outbox::Outbox;

/// WebSocket close codes used by the live endpoints.
pub mod close_code {
    /// The conversation is over (left a call).
    pub const NORMAL: u16 = 1000;
    /// The server is going away (shutdown, document deleted).
    pub const GOING_AWAY: u16 = 1001;
    /// A frame that breaks the WebSocket framing rules.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A frame type the protocol does not use (text frames on a binary protocol
    /// and the reverse).
    pub const UNSUPPORTED: u16 = 1003;
    /// A frame that does not decode or apply.
    pub const INVALID_DATA: u16 = 1007;
    /// Over the rate limit, or access ended.
    pub const POLICY: u16 = 1008;
    /// A message or document over its size limit.
    pub const TOO_BIG: u16 = 1009;
    /// A server-side failure (storage).
    pub const INTERNAL: u16 = 1011;
    /// The client reads too slowly; it resyncs when it reconnects.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// The close reason of a connection whose session was signed out.
pub const SIGNED_OUT: &str = "signed out";
/// The close reason of a connection whose session expired.
pub const SESSION_EXPIRED: &str = "session expired";
/// The close reason of a connection whose user left (or was removed from) the workspace.
pub const ACCESS_REMOVED: &str = "your access to this workspace was removed";
