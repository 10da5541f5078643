//! Newtype ids. Every id is an opaque string on the wire (a UUID in practice),
//! so that ids of different entities cannot be mixed up in code.

use std::fmt;

/// Declares a newtype id backed by a `String`.
macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id read from storage or from a request.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as it is stored and sent.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the id into its string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }
    )*};
}

id_type! {
    /// A user account.
    UserId;
    /// A workspace (a team space with members).
    WorkspaceId;
    /// A document in a workspace.
    DocumentId;
    /// A login session or API token.
    SessionId;
    /// A room of a workspace: its chat (and call).
    RoomId;
    /// A chat message in a room.
    MessageId;
    /// One participation in a room's call (a user joining twice is two).
    ParticipantId;
    /// A track published in a call.
    TrackId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_transparent_strings_on_the_wire() {
        let id = UserId::new("u-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"u-1\"");
        let back: UserId = serde_json::from_str("\"u-1\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(format!("{id:?}"), "UserId(u-1)");
    }
}
