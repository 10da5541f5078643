//! Chat messages: a room's history (newest first, paginated), posting with a
//! per-user rate and a size limit, editing and deleting (one's own; owners may
//! delete any), read marks and unread counts, mentions and search. A message is
//! stored before it is published to the workspace's live tabs.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use reynard_chat::{Mentionable, mentioned};
use reynard_proto::chat::{LiveEvent, MessageText, MessageView, ReadMark, RoomView, UnreadView};
use reynard_proto::{MessageId, Role, RoomId, UserId, WorkspaceId};
use serde::Deserialize;

use crate::api::rooms::room_access;
use crate::api::workspaces::authorize;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// Messages one page holds by default, and at most.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 100;

/// `?before={message_id}&limit=`.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    before: Option<MessageId>,
    #[serde(default)]
    limit: Option<u32>,
}

impl PageQuery {
    fn limit(&self) -> ApiResult<u32> {
        match self.limit {
            None => Ok(DEFAULT_PAGE),
            Some(limit @ 1..=MAX_PAGE) => Ok(limit),
            Some(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_limit",
                format!("limit must be between 1 and {MAX_PAGE}"),
            )),
        }
    }

    fn before(&self) -> Option<&MessageId> {
        self.before.as_ref().filter(|id| !id.as_str().is_empty())
    }
}

fn valid_text(text: &str) -> ApiResult<String> {
    reynard_chat::message_text(text)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_message", e.to_string()))
}

/// The members `text` mentions.
async fn mentions_in(state: &AppState, ws: &WorkspaceId, text: &str) -> ApiResult<Vec<UserId>> {
    if !text.contains('@') {
        return Ok(Vec::new());
    }
    let members = state.store.members(ws).await?;
    let mentionable: Vec<Mentionable<'_>> =
        members.iter().map(|m| Mentionable { id: &m.user_id, name: &m.name, email: &m.email }).collect();
    Ok(mentioned(text, &mentionable))
}

/// `GET /api/v1/rooms/{room}/messages?before=&limit=`: newest first.
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(room): Path<RoomId>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Vec<MessageView>>> {
    room_access(&state, &room, &current.user.id, Role::can_chat, "read chat").await?;
    let limit = page.limit()?;
    Ok(Json(state.store.messages(&room, page.before(), limit).await?))
}

/// `POST /api/v1/rooms/{room}/messages {text}`: every member, viewers too.
pub async fn post(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(room): Path<RoomId>,
    ApiJson(body): ApiJson<MessageText>,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    let (room, _) = room_access(&state, &room, &current.user.id, Role::can_chat, "chat").await?;
    open_room(&room)?;
    let text = valid_text(&body.text)?;
    state.chat_messages_per_user.check(&current.user.id.as_str().to_owned()).map_err(|limited| {
        let wait = limited.retry_after.as_secs().max(1);
        ApiError::rate_limited(limited.retry_after)
            .with_message(format!("you are sending messages too fast; try again in {wait} s"))
    })?;
    let mentions = mentions_in(&state, &room.workspace_id, &text).await?;
    let message = state.store.post_message(&room.id, &current.user.id, &text, &mentions).await?;
    // The author has read what they wrote.
    state.store.mark_read(&room.id, &current.user.id, &message.id).await?;
    state.live.sent(&room.workspace_id, &current.user.id, &room.id);
    state.live.publish(&room.workspace_id, &LiveEvent::Message { message: message.clone() });
    Ok((StatusCode::CREATED, Json(message)))
}

fn open_room(room: &RoomView) -> ApiResult<()> {
    if room.archived {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "room_archived",
            "this room is archived; bring it back to chat in it",
        ));
    }
    Ok(())
}

/// Finds a message and the room it is in, checking the caller may chat there.
async fn message_access(state: &AppState, id: &MessageId, user: &UserId) -> ApiResult<(MessageView, RoomView, Role)> {
    let message = state.store.message(id).await?.ok_or_else(|| ApiError::not_found("message"))?;
    let (room, role) = room_access(state, &message.room_id, user, Role::can_chat, "chat")
        .await
        .map_err(|err| if err.status() == StatusCode::NOT_FOUND { ApiError::not_found("message") } else { err })?;
    Ok((message, room, role))
}

/// `PATCH /api/v1/messages/{message} {text}`: the author only.
pub async fn edit(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<MessageId>,
    ApiJson(body): ApiJson<MessageText>,
) -> ApiResult<Json<MessageView>> {
    let (message, room, _) = message_access(&state, &id, &current.user.id).await?;
    if message.author_id != current.user.id {
        return Err(ApiError::forbidden("only its author can edit a message"));
    }
    open_room(&room)?;
    let text = valid_text(&body.text)?;
    let mentions = mentions_in(&state, &room.workspace_id, &text).await?;
    let edited = state.store.edit_message(&id, &text, &mentions).await?;
    state.live.publish(&room.workspace_id, &LiveEvent::MessageEdited { message: edited.clone() });
    Ok(Json(edited))
}

/// `DELETE /api/v1/messages/{message}`: the author, or a workspace owner.
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<MessageId>,
) -> ApiResult<StatusCode> {
    let (message, room, role) = message_access(&state, &id, &current.user.id).await?;
    if message.author_id != current.user.id && !role.can_moderate_chat() {
        return Err(ApiError::forbidden(format!("a workspace {role} can only delete their own messages")));
    }
    if state.store.delete_message(&id).await? {
        let event = LiveEvent::MessageDeleted { room_id: room.id, message_id: id };
        state.live.publish(&room.workspace_id, &event);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/rooms/{room}/read {message_id}`: everything up to that
/// message is read (a mark never moves back).
pub async fn mark_read(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(room): Path<RoomId>,
    ApiJson(body): ApiJson<ReadMark>,
) -> ApiResult<StatusCode> {
    room_access(&state, &room, &current.user.id, Role::can_chat, "read chat").await?;
    let message = state.store.message(&body.message_id).await?;
    if message.is_none_or(|m| m.room_id != room) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_message", "no such message in this room"));
    }
    state.store.mark_read(&room, &current.user.id, &body.message_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/workspaces/{ws}/unread`: per open room, the messages of others
/// not read yet and how many mention the caller.
pub async fn unread(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
) -> ApiResult<Json<Vec<UnreadView>>> {
    authorize(&state, &ws, &current.user.id, Role::can_chat, "read its chat").await?;
    Ok(Json(state.store.unread(&ws, &current.user.id).await?))
}

/// `GET /api/v1/workspaces/{ws}/mentions?before=&limit=`: messages that
/// mention the caller, newest first.
pub async fn mentions(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Vec<MessageView>>> {
    authorize(&state, &ws, &current.user.id, Role::can_chat, "read its chat").await?;
    let limit = page.limit()?;
    Ok(Json(state.store.mentions_of(&ws, &current.user.id, page.before(), limit).await?))
}

/// `?q=&limit=`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    limit: Option<u32>,
}

/// `GET /api/v1/workspaces/{ws}/messages/search?q=`: messages of the
/// workspace's rooms holding every word of `q`, newest first.
pub async fn search(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    Query(query): Query<SearchQuery>,
) -> ApiResult<Json<Vec<MessageView>>> {
    authorize(&state, &ws, &current.user.id, Role::can_chat, "search its chat").await?;
    if query.q.chars().count() > 200 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "a search is at most 200 characters"));
    }
    let limit = PageQuery { before: None, limit: query.limit }.limit()?;
    Ok(Json(state.store.search_messages(&ws, &query.q, limit).await?))
}
