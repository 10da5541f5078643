//! Rooms of a workspace: list, create, rename, archive and bring back. Every
//! member may enter a room; owners and editors manage them. Changes reach the
//! workspace's live tabs at once.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use reynard_proto::chat::{LiveEvent, NewRoom, RoomChange, RoomView};
use reynard_proto::{Role, RoomId, UserId, WorkspaceId};
use reynard_store::workspaces::Access;
use serde::Deserialize;

use crate::api::workspaces::authorize;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// Finds a room and checks `user`'s role in its workspace with `allowed`: 404
/// when the room does not exist or the user is not a member (a room's existence
/// is not told to outsiders), 403 when the role does not allow `action`.
pub async fn room_access(
    state: &AppState,
    room: &RoomId,
    user: &UserId,
    allowed: fn(Role) -> bool,
    action: &str,
) -> ApiResult<(RoomView, Role)> {
    let room = state.store.room(room).await?.ok_or_else(|| ApiError::not_found("room"))?;
    match state.store.workspace_access(&room.workspace_id, user).await? {
        Access::Member(role) if allowed(role) => Ok((room, role)),
        Access::Member(role) => Err(ApiError::forbidden(format!("a workspace {role} cannot {action}"))),
        Access::NotMember | Access::Missing => Err(ApiError::not_found("room")),
    }
}

fn valid_name(name: &str) -> ApiResult<String> {
    reynard_chat::room_name(name).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_name", e.to_string()))
}

/// The store's "name taken" as this endpoint's conflict.
fn name_taken(err: reynard_store::Error) -> ApiError {
    match err {
        reynard_store::Error::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "room_exists", message),
        other => other.into(),
    }
}

/// `?archived=true` lists archived rooms too.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    archived: bool,
}

/// `GET /api/v1/workspaces/{ws}/rooms`: the default room first, then by name.
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<RoomView>>> {
    authorize(&state, &ws, &current.user.id, Role::can_chat, "see its rooms").await?;
    Ok(Json(state.store.rooms(&ws, query.archived).await?))
}

/// `POST /api/v1/workspaces/{ws}/rooms {name}` (owners and editors).
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    ApiJson(body): ApiJson<NewRoom>,
) -> ApiResult<(StatusCode, Json<RoomView>)> {
    authorize(&state, &ws, &current.user.id, Role::can_manage_rooms, "create rooms").await?;
    let name = valid_name(&body.name)?;
    let room = state.store.create_room(&ws, &name, &current.user.id).await.map_err(name_taken)?;
    state.live.publish(&ws, &LiveEvent::Room { room: room.clone() });
    Ok((StatusCode::CREATED, Json(room)))
}

/// `GET /api/v1/rooms/{room}`.
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(room): Path<RoomId>,
) -> ApiResult<Json<RoomView>> {
    let (room, _) = room_access(&state, &room, &current.user.id, Role::can_chat, "enter rooms").await?;
    Ok(Json(room))
}

/// `PATCH /api/v1/rooms/{room} {name?, archived?}` (owners and editors).
pub async fn change(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(room): Path<RoomId>,
    ApiJson(body): ApiJson<RoomChange>,
) -> ApiResult<Json<RoomView>> {
    let (found, _) = room_access(&state, &room, &current.user.id, Role::can_manage_rooms, "manage rooms").await?;
    let name = body.name.as_deref().map(valid_name).transpose()?;
    Ok(Json(apply_change(&state, found, name.as_deref(), body.archived).await?))
}

/// `DELETE /api/v1/rooms/{room}`: archives it (messages stay; `PATCH
/// {archived: false}` brings it back).
pub async fn archive(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(room): Path<RoomId>,
) -> ApiResult<StatusCode> {
    let (found, _) = room_access(&state, &room, &current.user.id, Role::can_manage_rooms, "archive rooms").await?;
    apply_change(&state, found, None, Some(true)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn apply_change(
    state: &AppState,
    room: RoomView,
    name: Option<&str>,
    archived: Option<bool>,
) -> ApiResult<RoomView> {
    if room.is_default && archived == Some(true) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "default_room",
            "the workspace's default room cannot be archived",
        ));
    }
    let changed = state.store.change_room(&room.id, name, archived).await.map_err(name_taken)?;
    if changed != room {
        state.live.publish(&changed.workspace_id, &LiveEvent::Room { room: changed.clone() });
    }
    Ok(changed)
}
