//! Request and response bodies of the HTTP API under `/api/v1`.
//!
//! Field names here are the contract: clients and acceptance checks use them.

use serde::{Deserialize, Serialize};

use crate::{Role, UserId, WorkspaceId};

/// `POST /api/v1/auth/signup`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    pub name: String,
    /// Set only the session cookie: the answer carries no token (the web app,
    /// which keeps no credential where page scripts could read it).
    #[serde(default)]
    pub cookie_only: bool,
    /// The user's IANA time zone (the web app sends the browser's); `UTC` when absent.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// As in [`SignupRequest::cookie_only`].
    #[serde(default)]
    pub cookie_only: bool,
}

/// A user as other people see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub name: String,
}

/// Answer to signup and login: the user and a bearer token for scripts and
/// WebSockets (absent when the request asked for the cookie only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuthResponse {
    pub user: UserView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `GET /api/v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Me {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub time_zone: String,
    /// Whether the account proved it owns its email (invitations wait for it).
    pub email_verified: bool,
    /// Working hours per weekday (`mon` … `sun`), in `time_zone`: the slot
    /// finder proposes meetings inside them.
    pub working_hours: WorkingHoursMap,
    /// Whether meeting follow-up mails are wanted.
    pub followups: bool,
}

/// Working hours per weekday (`mon` … `sun`): `[["09:00","17:00"], …]` in the
/// user's own zone; a day that is absent is not worked.
pub type WorkingHoursMap = std::collections::BTreeMap<String, Vec<(String, String)>>;

/// `GET /api/v1/auth/session`: who the request's session belongs to, if anyone
/// (the web app asks on start; "nobody" is an answer, not an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Session {
    pub user: Option<Me>,
}

/// `PATCH /api/v1/me`: every field optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct UpdateMe {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    #[serde(default)]
    pub working_hours: Option<WorkingHoursMap>,
    #[serde(default)]
    pub followups: Option<bool>,
}

/// `POST /api/v1/workspaces` and `PATCH /api/v1/workspaces/{ws}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkspaceName {
    pub name: String,
}

/// A workspace as seen by one member: with that member's role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkspaceView {
    pub id: WorkspaceId,
    pub name: String,
    pub role: Role,
}

/// A member of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberView {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// `POST /api/v1/workspaces/{ws}/members`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AddMemberRequest {
    pub email: String,
    pub role: Role,
}

/// Answer to adding a member: either the member (an existing account, added at
/// once) or a pending invitation (an unknown email, claimed at signup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum AddMemberResponse {
    Added(MemberView),
    Invited(InvitationView),
}

/// A pending invitation to a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InvitationView {
    pub email: String,
    pub role: Role,
    /// `{public_url}/invite/{token}`: whoever opens it signed in joins with `role`
    /// (once). Shown to owners only.
    pub invite_link: String,
}

/// `POST /api/v1/auth/verify-email` and `POST /api/v1/invitations/accept`: the
/// token of a link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TokenRequest {
    pub token: String,
}

/// Answer to `POST /api/v1/auth/verify-email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VerifyEmailResponse {
    pub email: String,
    pub email_verified: bool,
    /// Workspaces whose pending invitations the verification claimed.
    pub joined: Vec<WorkspaceId>,
}

/// `PATCH /api/v1/workspaces/{ws}/members/{user_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChangeRoleRequest {
    pub role: Role,
}

/// The body of every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for machines (`code`) and people (`message`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_member_response_is_tagged_by_status() {
        let added = AddMemberResponse::Added(MemberView {
            user_id: UserId::new("u1"),
            email: "a@x.org".into(),
            name: "A".into(),
            role: Role::Editor,
        });
        let json = serde_json::to_value(&added).unwrap();
        assert_eq!(json["status"], "added");
        assert_eq!(json["user_id"], "u1");
        assert_eq!(json["role"], "editor");

        let invited = AddMemberResponse::Invited(InvitationView {
            email: "b@x.org".into(),
            role: Role::Viewer,
            invite_link: "http://h/invite/inv_x".into(),
        });
        let json = serde_json::to_value(&invited).unwrap();
        assert_eq!(json["status"], "invited");
        assert_eq!(json["email"], "b@x.org");
        assert_eq!(json["invite_link"], "http://h/invite/inv_x");
    }
}

/// `POST /api/v1/workspaces/{ws}/documents` and `PATCH /api/v1/documents/{doc}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DocumentPath {
    pub path: String,
}

/// A document (a file of a workspace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DocumentView {
    pub id: crate::DocumentId,
    pub workspace_id: WorkspaceId,
    pub path: String,
    pub language: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `POST /api/v1/documents/{doc}/versions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CreateVersionRequest {
    pub name: Option<String>,
}

/// Lines added and removed since the previous version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChangeSummary {
    pub added: i64,
    pub removed: i64,
}

/// A version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VersionView {
    pub id: String,
    /// `named`, `auto`, `restore` or `merge`.
    pub kind: String,
    pub name: Option<String>,
    pub created_at: i64,
    /// The people whose changes the version holds since the previous one.
    pub author_ids: Vec<UserId>,
    pub summary: ChangeSummary,
    /// Log position of the document at this version.
    pub seq: i64,
}

/// One block of a line diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DiffHunk {
    pub old_start: usize,
    pub old_lines: usize,
    pub new_start: usize,
    pub new_lines: usize,
    /// `" context"`, `"-removed"`, `"+added"`.
    pub lines: Vec<String>,
}

/// `GET /api/v1/documents/{doc}/diff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DiffView {
    pub hunks: Vec<DiffHunk>,
    /// The search for a minimal diff ran out of time: the lines between the
    /// texts' common beginning and end are one block removed and one added
    /// (exact, not minimal).
    #[serde(default)]
    pub coarse: bool,
}

/// `POST /api/v1/documents/{doc}/versions/{v}/restore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RestoreResponse {
    pub version: VersionView,
}

/// `POST /api/v1/documents/{doc}/branches`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CreateBranchRequest {
    pub name: String,
    pub from_version: Option<String>,
}

/// A branch of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BranchView {
    pub id: crate::DocumentId,
    pub path: String,
    pub branch_of: crate::DocumentId,
    /// The version it was forked at; none when forked from the present.
    pub forked_at: Option<String>,
    /// Whether it has changes not merged back yet.
    pub unmerged: bool,
}

/// `POST /api/v1/documents/{branch}/merge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MergeResponse {
    /// Branch updates merged by this call (0 when nothing was new).
    pub merged_updates: i64,
}
