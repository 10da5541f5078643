//! Workspace roles and the permission table.
//!
//! Every permission check in Reynard goes through a `Role::can_*` method. Each
//! method matches every role explicitly (no `_` arm), so adding a role forces a
//! decision for every permission.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A member's role in a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages the workspace and its members; can do everything an editor can.
    Owner,
    /// Reads and writes documents, schedules meetings, joins calls.
    Editor,
    /// Reads documents and history, joins calls; cannot change documents.
    Viewer,
}

impl Role {
    /// All roles, most powerful first.
    pub const ALL: [Role; 3] = [Role::Owner, Role::Editor, Role::Viewer];

    /// See the workspace, its documents, members and history.
    pub fn can_view(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => true,
            Role::Viewer => true,
        }
    }

    /// Create, change, rename and delete documents; restore versions; branch and merge.
    pub fn can_edit_documents(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => true,
            Role::Viewer => false,
        }
    }

    /// Add and remove members, change their roles, manage invitations.
    pub fn can_manage_members(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => false,
            Role::Viewer => false,
        }
    }

    /// Rename the workspace.
    pub fn can_rename_workspace(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => false,
            Role::Viewer => false,
        }
    }

    /// Delete the workspace and everything in it.
    pub fn can_delete_workspace(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => false,
            Role::Viewer => false,
        }
    }

    /// Create, rename and archive rooms.
    pub fn can_manage_rooms(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => true,
            Role::Viewer => false,
        }
    }

    /// Enter rooms, read and send chat messages, edit and delete one's own.
    pub fn can_chat(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => true,
            Role::Viewer => true,
        }
    }

    /// Delete anyone's chat message (moderation).
    pub fn can_moderate_chat(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => false,
            Role::Viewer => false,
        }
    }

    /// Join a room's call and receive what others publish.
    pub fn can_join_calls(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => true,
            Role::Viewer => true,
        }
    }

    /// Publish camera and microphone in a call without a moderator's permission,
    /// and share one's screen.
    pub fn can_publish_in_calls(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => true,
            Role::Viewer => false,
        }
    }

    /// Mute or remove participants, end a call, let viewers publish.
    pub fn can_moderate_calls(self) -> bool {
        match self {
            Role::Owner => true,
            Role::Editor => false,
            Role::Viewer => false,
        }
    }

    /// The lowercase name used in the API and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown role {:?} (expected owner, editor or viewer)", self.0)
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "editor" => Ok(Role::Editor),
            "viewer" => Ok(Role::Viewer),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_table() {
        // (role, view, edit documents, manage members, rename, delete, rooms, chat, moderate)
        let table = [
            (Role::Owner, true, true, true, true, true, true, true, true),
            (Role::Editor, true, true, false, false, false, true, true, false),
            (Role::Viewer, true, false, false, false, false, false, true, false),
        ];
        for (role, view, edit, manage, rename, delete, rooms, chat, moderate) in table {
            assert_eq!(role.can_manage_rooms(), rooms, "{role} rooms");
            assert_eq!(role.can_chat(), chat, "{role} chat");
            assert_eq!(role.can_moderate_chat(), moderate, "{role} moderate");
            assert_eq!(role.can_view(), view, "{role} view");
            assert_eq!(role.can_edit_documents(), edit, "{role} edit");
            assert_eq!(role.can_manage_members(), manage, "{role} manage");
            assert_eq!(role.can_rename_workspace(), rename, "{role} rename");
            assert_eq!(role.can_delete_workspace(), delete, "{role} delete");
        }
    }

    #[test]
    fn call_permissions() {
        // (role, join, publish, moderate)
        let table =
            [(Role::Owner, true, true, true), (Role::Editor, true, true, false), (Role::Viewer, true, false, false)];
        for (role, join, publish, moderate) in table {
            assert_eq!(role.can_join_calls(), join, "{role} join");
            assert_eq!(role.can_publish_in_calls(), publish, "{role} publish");
            assert_eq!(role.can_moderate_calls(), moderate, "{role} moderate");
        }
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
