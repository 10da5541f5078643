//! Rooms and chat messages: the bodies of their HTTP endpoints.

use serde::{Deserialize, Serialize};

use crate::{MessageId, RoomId, UserId, WorkspaceId};

/// A room of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RoomView {
    pub id: RoomId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// The workspace's default room (`general`): it cannot be archived.
    pub is_default: bool,
    pub archived: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// `POST /api/v1/workspaces/{ws}/rooms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NewRoom {
    pub name: String,
}

/// `PATCH /api/v1/rooms/{room}`: rename, archive or bring back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RoomChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MessageView {
    pub id: MessageId,
    pub room_id: RoomId,
    pub author_id: UserId,
    pub author_name: String,
    pub text: String,
    /// Members the message mentions.
    pub mentions: Vec<UserId>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub edited_at: Option<i64>,
}

/// `POST /api/v1/rooms/{room}/messages`, `PATCH /api/v1/messages/{message}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MessageText {
    pub text: String,
}

/// A room's unread messages for the signed-in member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct UnreadView {
    pub room_id: RoomId,
    pub unread: i64,
    /// Unread messages that mention the member.
    pub mentions: i64,
}
