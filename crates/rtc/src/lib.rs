//! Calls without IO. The server owns the sockets and the clock; this crate
//! decides.
//!
//! # Layout
//! - [`grants`]: what a participant may do, from its workspace role.
//! - [`call`]: the signaling state machine of one room's call: joins, leaves,
//!   tracks and mute states, negotiation turns, moderator actions, the limit.
//! - [`media`]: what signaling asks of the SFU, and what the SFU reports.
//! - [`sfu`]: the selective forwarding unit on `str0m` (sans-IO): each
//!   participant's publisher and subscriber connections, forwarding,
//!   simulcast layer choice, active speakers.
//! - [`turn_credentials`]: time-limited TURN REST credentials
//!   (`expiry:user`, base64 HMAC-SHA1), minted and checked.

pub mod call;
pub mod grants;
pub mod media;
pub mod sfu;
pub mod turn_credentials;
