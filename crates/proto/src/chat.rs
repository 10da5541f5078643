//! Rooms and chat messages: the bodies of their HTTP endpoints, and the
//! frames of the workspace's live socket (chat, typing, presence).

use serde::{Deserialize, Serialize};

use crate::{DocumentId, MessageId, RoomId, UserId, WorkspaceId};

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

/// `POST /api/v1/rooms/{room}/read`: everything up to this message is read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ReadMark {
    pub message_id: MessageId,
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

/// Where a tab is, as the live socket speaks of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum LiveLocation {
    /// In the workspace, not in a document or room.
    Workspace,
    Document(DocumentId),
    Room(RoomId),
}

/// A member online in the workspace, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineUser {
    pub user_id: UserId,
    pub name: String,
    pub locations: Vec<LiveLocation>,
}

/// Someone in a room's call, as the workspace's live socket shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallMember {
    pub user_id: UserId,
    pub name: String,
}

/// A member typing in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingUser {
    pub user_id: UserId,
    pub name: String,
}

/// What a tab sends on the workspace's live socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveCommand {
    /// Where this tab is now.
    Location { location: LiveLocation },
    /// Typing in a room (repeated while typing; expires on its own).
    Typing { room_id: RoomId },
    /// Stopped typing (input cleared or message sent).
    TypingStopped { room_id: RoomId },
}

/// What the workspace's live socket sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// The first frame: who the tab is signed in as, and who is online.
    Welcome {
        user_id: UserId,
        online: Vec<OnlineUser>,
    },
    /// A member's locations changed; none when they went offline.
    Presence {
        user_id: UserId,
        name: String,
        locations: Vec<LiveLocation>,
    },
    Message {
        message: MessageView,
    },
    MessageEdited {
        message: MessageView,
    },
    MessageDeleted {
        room_id: RoomId,
        message_id: MessageId,
    },
    /// Who is typing in a room now.
    Typing {
        room_id: RoomId,
        users: Vec<TypingUser>,
    },
    /// A room was created, renamed, archived or restored.
    Room {
        room: RoomView,
    },
    /// Who is in a room's call now (sent on every change, and for each active
    /// call when a tab opens); empty when the call is over.
    Call {
        room_id: RoomId,
        participants: Vec<CallMember>,
    },
    /// A frame from the tab was not understood; the socket stays open.
    Error {
        code: String,
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn live_frames_have_the_documented_shapes() {
        let location: LiveCommand = serde_json::from_value(json!({
            "type": "location", "location": { "kind": "room", "id": "r1" }
        }))
        .unwrap();
        assert_eq!(location, LiveCommand::Location { location: LiveLocation::Room(RoomId::new("r1")) });
        let home: LiveLocation = serde_json::from_value(json!({ "kind": "workspace" })).unwrap();
        assert_eq!(home, LiveLocation::Workspace);
        assert_eq!(serde_json::to_value(LiveLocation::Workspace).unwrap(), json!({ "kind": "workspace" }));
        let typing: LiveCommand = serde_json::from_value(json!({ "type": "typing_stopped", "room_id": "r1" })).unwrap();
        assert_eq!(typing, LiveCommand::TypingStopped { room_id: RoomId::new("r1") });
        assert!(serde_json::from_value::<LiveCommand>(json!({ "type": "typing" })).is_err());

        let presence = LiveEvent::Presence {
            user_id: UserId::new("u1"),
            name: "Ada".to_owned(),
            locations: vec![LiveLocation::Document(DocumentId::new("d1"))],
        };
        assert_eq!(
            serde_json::to_value(presence).unwrap(),
            json!({ "type": "presence", "user_id": "u1", "name": "Ada", "locations": [{ "kind": "document", "id": "d1" }] })
        );
        let deleted = LiveEvent::MessageDeleted { room_id: RoomId::new("r1"), message_id: MessageId::new("m1") };
        assert_eq!(
            serde_json::to_value(deleted).unwrap(),
            json!({ "type": "message_deleted", "room_id": "r1", "message_id": "m1" })
        );
    }
}
