//! Workspaces, members, roles and invitations. Every check goes through
//! [`authorize`] and the `Role::can_*` table.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use reynard_auth::{hash_token, normalize_email, validate_name};
use reynard_proto::api::{
    AddMemberRequest, AddMemberResponse, ChangeRoleRequest, InvitationView, MemberView, WorkspaceName, WorkspaceView,
};
use reynard_proto::{DocumentId, Role, UserId, WorkspaceId};
use reynard_store::workspaces::Access;
use reynard_store::{Invitation, NewInvitation, now_millis};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// Resolves `user`'s role in `workspace` and checks it with `allowed`:
/// 404 if the workspace does not exist, 403 if not a member or not allowed.
pub async fn authorize(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &UserId,
    allowed: fn(Role) -> bool,
    action: &str,
) -> ApiResult<Role> {
    match state.store.workspace_access(workspace, user).await? {
        Access::Missing => Err(ApiError::not_found("workspace")),
        Access::NotMember => Err(ApiError::forbidden("you are not a member of this workspace")),
        Access::Member(role) if allowed(role) => Ok(role),
        Access::Member(role) => Err(ApiError::forbidden(format!("a workspace {role} cannot {action}"))),
    }
}

/// `POST /api/v1/workspaces`.
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<WorkspaceName>,
) -> ApiResult<(StatusCode, Json<WorkspaceView>)> {
    let name = validate_name(&body.name)?;
    let workspace = state.store.create_workspace(&current.user.id, &name).await?;
    Ok((StatusCode::CREATED, Json(workspace)))
}

/// `GET /api/v1/workspaces`.
pub async fn list(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Json<Vec<WorkspaceView>>> {
    Ok(Json(state.store.workspaces_for(&current.user.id).await?))
}

/// `GET /api/v1/workspaces/{ws}`.
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
) -> ApiResult<Json<WorkspaceView>> {
    authorize(&state, &ws, &current.user.id, Role::can_view, "view it").await?;
    let workspace = state.store.workspace_for(&ws, &current.user.id).await?;
    Ok(Json(workspace.ok_or_else(|| ApiError::not_found("workspace"))?))
}

/// `PATCH /api/v1/workspaces/{ws}`: rename (owners).
pub async fn rename(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    ApiJson(body): ApiJson<WorkspaceName>,
) -> ApiResult<Json<WorkspaceView>> {
    let role = authorize(&state, &ws, &current.user.id, Role::can_rename_workspace, "rename it").await?;
    let name = validate_name(&body.name)?;
    state.store.rename_workspace(&ws, &name).await?;
    Ok(Json(WorkspaceView { id: ws, name, role }))
}

/// `DELETE /api/v1/workspaces/{ws}` (owners).
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
) -> ApiResult<StatusCode> {
    authorize(&state, &ws, &current.user.id, Role::can_delete_workspace, "delete it").await?;
    let documents: Vec<DocumentId> = state.store.documents(&ws).await?.into_iter().map(|d| d.id).collect();
    state.store.delete_workspace(&ws).await?;
    crate::control::workspace_deleted(&state, &ws, documents).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/workspaces/{ws}/members`.
pub async fn members(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
) -> ApiResult<Json<Vec<MemberView>>> {
    authorize(&state, &ws, &current.user.id, Role::can_view, "see its members").await?;
    Ok(Json(state.store.members(&ws).await?))
}

/// `POST /api/v1/workspaces/{ws}/members`: adds an account whose email is
/// verified at once; otherwise records an invitation (claimed when the email is
/// verified, or by whoever opens its link) and mails it when mail is on. An
/// unverified account gets no access by being named.
pub async fn add_member(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    ApiJson(body): ApiJson<AddMemberRequest>,
) -> ApiResult<(StatusCode, Json<AddMemberResponse>)> {
    authorize(&state, &ws, &current.user.id, Role::can_manage_members, "add members").await?;
    let email = normalize_email(&body.email)?;
    let response = match state.store.user_by_email(&email).await? {
        Some(user) if user.email_verified() => {
            AddMemberResponse::Added(state.store.add_member(&ws, &user.id, body.role).await?)
        }
        _ => {
            if let Access::Member(_) = existing_member_access(&state, &ws, &email).await? {
                return Err(ApiError::conflict("this user is already a member of the workspace"));
            }
            let created_at = now_millis();
            let token = state.signing_key.invitation_token(ws.as_str(), &email, created_at);
            let new = NewInvitation {
                email: &email,
                role: body.role,
                invited_by: &current.user.id,
                created_at,
                token_hash: &hash_token(&token),
            };
            let invitation = state.store.invite(&ws, new).await?;
            let link = crate::mail::invitation_link(&state, &token);
            if state.config.mailer.is_some() {
                let workspace = state.store.workspace_for(&ws, &current.user.id).await?;
                let name = workspace.map(|w| w.name).unwrap_or_default();
                crate::mail::send_invitation(&state, &invitation, &current.user.name, &name, &link);
            }
            AddMemberResponse::Invited(invitation_view(&invitation, link))
        }
    };
    Ok((StatusCode::CREATED, Json(response)))
}

/// The access of the account with `email`, if any, to `workspace`.
async fn existing_member_access(state: &AppState, workspace: &WorkspaceId, email: &str) -> ApiResult<Access> {
    match state.store.user_by_email(email).await? {
        Some(user) => Ok(state.store.workspace_access(workspace, &user.id).await?),
        None => Ok(Access::NotMember),
    }
}

fn invitation_view(invitation: &Invitation, invite_link: String) -> InvitationView {
    InvitationView { email: invitation.email.clone(), role: invitation.role, invite_link }
}

/// `PATCH /api/v1/workspaces/{ws}/members/{user_id}`: change a role (owners);
/// the last owner cannot be demoted.
pub async fn change_role(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((ws, user_id)): Path<(WorkspaceId, UserId)>,
    ApiJson(body): ApiJson<ChangeRoleRequest>,
) -> ApiResult<Json<MemberView>> {
    authorize(&state, &ws, &current.user.id, Role::can_manage_members, "change roles").await?;
    let member = state.store.change_role(&ws, &user_id, body.role).await?;
    crate::control::member_changed(&state, &ws, &user_id, Some(member.role)).await;
    Ok(Json(member))
}

/// `DELETE /api/v1/workspaces/{ws}/members/{user_id}`: owners remove anyone; any
/// member may remove themselves (leave). The last owner cannot leave.
pub async fn remove_member(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((ws, user_id)): Path<(WorkspaceId, UserId)>,
) -> ApiResult<StatusCode> {
    if user_id == current.user.id {
        authorize(&state, &ws, &current.user.id, Role::can_view, "leave it").await?;
    } else {
        authorize(&state, &ws, &current.user.id, Role::can_manage_members, "remove members").await?;
    }
    state.store.remove_member(&ws, &user_id).await?;
    crate::control::member_changed(&state, &ws, &user_id, None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/workspaces/{ws}/invitations` (owners).
pub async fn invitations(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
) -> ApiResult<Json<Vec<InvitationView>>> {
    authorize(&state, &ws, &current.user.id, Role::can_manage_members, "see invitations").await?;
    let mut views = Vec::new();
    for invitation in state.store.invitations(&ws).await? {
        let token = crate::mail::invitation_token(&state, &invitation);
        if invitation.token_hash.is_none() {
            // Made before invitations had links: record this one's hash now.
            state.store.set_invitation_token_hash(&ws, &invitation.email, &hash_token(&token)).await?;
        }
        views.push(invitation_view(&invitation, crate::mail::invitation_link(&state, &token)));
    }
    Ok(Json(views))
}

/// `DELETE /api/v1/workspaces/{ws}/invitations/{email}` (owners).
pub async fn delete_invitation(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((ws, email)): Path<(WorkspaceId, String)>,
) -> ApiResult<StatusCode> {
    authorize(&state, &ws, &current.user.id, Role::can_manage_members, "withdraw invitations").await?;
    let email = normalize_email(&email)?;
    state.store.delete_invitation(&ws, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}
