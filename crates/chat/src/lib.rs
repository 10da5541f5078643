//! Rooms and chat without IO: what a message and a room name may be, whom a
//! message mentions, who is online where in a workspace, and who is typing.
//!
//! # Layout
//! - [`text`]: message and room name rules.
//! - [`mentions`]: the members a message mentions (`@Name` or `@email-user`).
//! - [`presence`]: who is online in a workspace and where (a document or a room).
//! - [`typing`]: who is typing in which room, with expiry.
//!
//! Time is passed in by callers, so everything here is deterministic under test.

pub mod mentions;
pub mod presence;
pub mod text;
pub mod typing;

pub use mentions::{Mentionable, mentioned};
pub use presence::{Location, Presence, PresenceChange};
pub use text::{MAX_MESSAGE_CHARS, MAX_ROOM_NAME_CHARS, TextError, message_text, room_name};
pub use typing::Typing;
