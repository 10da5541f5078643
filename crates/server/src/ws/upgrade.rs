//! What every live endpoint does before it accepts a WebSocket: find the
//! signed-in user from `?token=`, a bearer token or the session cookie, insist
//! on an upgrade request, and register the connection in the process's
//! registry (refused past the user's cap) so that it closes when access ends.
//! Each endpoint adds its own authorization between these steps.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::http::request::Parts;
use reynard_auth::hash_token;
use reynard_collab::ConnId;
use reynard_proto::Role;
use reynard_store::User;

use super::connections::{Holder, Registration};
use super::handshake::{UpgradeRejection, WebSocketUpgrade};
use super::outbox::Outbox;
use crate::error::{ApiError, ApiResult};
use crate::extract::presented_token;
use crate::state::AppState;

/// The signed-in user of an upgrade request, with its session's token hash.
pub async fn session_user(
    state: &AppState,
    params: &HashMap<String, String>,
    parts: &Parts,
) -> ApiResult<(User, String)> {
    let token = params.get("token").cloned().filter(|t| !t.is_empty()).or_else(|| presented_token(parts));
    let session = hash_token(&token.ok_or_else(ApiError::unauthenticated)?);
    let user = state.store.user_for_session(&session).await?.ok_or_else(ApiError::unauthenticated)?;
    Ok((user, session))
}

/// The upgrade, or 426 for a plain HTTP request.
pub fn websocket_required(upgrade: Result<WebSocketUpgrade, UpgradeRejection>) -> ApiResult<WebSocketUpgrade> {
    upgrade.map_err(ApiError::from)
}

/// Registers connection `conn` of `holder` (whose role in the workspace is
/// `role`) until its session expires; 429 `too_many_connections` past the
/// user's cap.
pub async fn register(
    state: &AppState,
    conn: ConnId,
    holder: &Holder,
    role: Role,
    session: &str,
    outbox: &Outbox,
) -> ApiResult<Registration> {
    let expires_at = state.store.session_expires_at(session).await?.ok_or_else(ApiError::unauthenticated)?;
    state.connections.register(conn, holder, role, expires_at, outbox.closer()).map_err(|limit| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            format!("you have {} live connections open already; close some first", limit.max),
        )
    })
}
