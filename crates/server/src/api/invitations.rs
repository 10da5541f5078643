//! Invite links: the signed-in person who opens one joins the workspace with
//! the invited role, whatever their email (the link is the proof), once.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use reynard_auth::hash_token;
use reynard_proto::api::{TokenRequest, WorkspaceView};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// `POST /api/v1/invitations/accept {token}`.
pub async fn accept(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<Json<WorkspaceView>> {
    let token = body.token.trim();
    if !token.starts_with("inv_") || token.len() > 128 {
        return Err(invalid());
    }
    let workspace = match state.store.accept_invitation(&hash_token(token), &current.user.id).await {
        Err(reynard_store::Error::NotFound(_)) => return Err(invalid()),
        other => other?,
    };
    tracing::info!(user = %current.user.id, workspace = %workspace.id, "invitation accepted");
    Ok(Json(workspace))
}

fn invalid() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_token",
        "this invite link is not valid: it was used already, withdrawn, or never issued",
    )
}
