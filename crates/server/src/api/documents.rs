//! Documents of a workspace: create, list, rename/move, delete, and their text
//! as plain text (`PUT` applies a normal CRDT update that live clients receive).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use reynard_proto::api::{DocumentPath, DocumentView};
use reynard_proto::document::{language_for_path, normalize_document_path};
use reynard_proto::{DocumentId, Role, UserId, WorkspaceId};

use crate::api::workspaces::authorize;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// Finds a document and checks `user`'s role in its workspace with `allowed`.
pub async fn document_access(
    state: &AppState,
    doc: &DocumentId,
    user: &UserId,
    allowed: fn(Role) -> bool,
    action: &str,
) -> ApiResult<(DocumentView, Role)> {
    let document = state.store.document(doc).await?.ok_or_else(|| ApiError::not_found("document"))?;
    let role = authorize(state, &document.workspace_id, user, allowed, action).await?;
    Ok((document, role))
}

fn valid_path(path: &str) -> ApiResult<String> {
    normalize_document_path(path).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.to_string()))
}

/// `POST /api/v1/workspaces/{ws}/documents {path}` (editors and owners).
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
    ApiJson(body): ApiJson<DocumentPath>,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    authorize(&state, &ws, &current.user.id, Role::can_edit_documents, "create documents").await?;
    let path = valid_path(&body.path)?;
    let document = state.store.create_document(&ws, &path, language_for_path(&path), &current.user.id).await?;
    Ok((StatusCode::CREATED, Json(document)))
}

/// `GET /api/v1/workspaces/{ws}/documents`.
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ws): Path<WorkspaceId>,
) -> ApiResult<Json<Vec<DocumentView>>> {
    authorize(&state, &ws, &current.user.id, Role::can_view, "list its documents").await?;
    Ok(Json(state.store.documents(&ws).await?))
}

/// `GET /api/v1/documents/{doc}`.
pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
) -> ApiResult<Json<DocumentView>> {
    let (document, _) = document_access(&state, &doc, &current.user.id, Role::can_view, "read documents").await?;
    Ok(Json(document))
}

/// `PATCH /api/v1/documents/{doc} {path}`: rename or move (editors and owners).
pub async fn rename(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
    ApiJson(body): ApiJson<DocumentPath>,
) -> ApiResult<Json<DocumentView>> {
    document_access(&state, &doc, &current.user.id, Role::can_edit_documents, "rename documents").await?;
    let path = valid_path(&body.path)?;
    Ok(Json(state.store.move_document(&doc, &path, language_for_path(&path)).await?))
}

/// `DELETE /api/v1/documents/{doc}` (editors and owners): closes live connections.
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
) -> ApiResult<StatusCode> {
    document_access(&state, &doc, &current.user.id, Role::can_edit_documents, "delete documents").await?;
    state.store.delete_document(&doc).await?;
    state.collab.close_document(&doc).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/documents/{doc}/content`: the text as `text/plain`.
pub async fn content(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
) -> ApiResult<Response> {
    document_access(&state, &doc, &current.user.id, Role::can_view, "read documents").await?;
    let text = state.collab.text(&doc).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// `PUT /api/v1/documents/{doc}/content` (editors and owners): the body (UTF-8
/// text) becomes the document's text through a minimal CRDT edit.
pub async fn replace_content(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    document_access(&state, &doc, &current.user.id, Role::can_edit_documents, "edit documents").await?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_utf8", "the body must be UTF-8 text"))?;
    state.collab.replace_text(&doc, text, current.user.id.clone()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
