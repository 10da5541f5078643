//! `GET /collab/{doc_id}`: one y-websocket connection. Authenticates before the
//! upgrade (401/403/404 as HTTP answers), then runs a reader (limits, rate) and
//! a writer (a bounded queue drained onto the socket) for the connection.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use reynard_auth::hash_token;
use reynard_proto::{DocumentId, Role, UserId};
use tokio::sync::mpsc;

use super::hub::DocHub;
use super::{Outbox, Outgoing, close_code};
use crate::api::workspaces::authorize;
use crate::error::{ApiError, ApiResult};
use crate::extract::presented_token;
use crate::state::AppState;

/// Read buffer of one connection. The WebSocket library allocates it up front
/// (128 KiB by default), which would dominate the memory of idle connections;
/// larger messages are read in several chunks.
const READ_BUFFER_BYTES: usize = 1024;

/// Most queued frames written to a connection before one flush.
const MAX_FRAMES_PER_FLUSH: usize = 64;

/// The upgrade handler: checks the token (`?token=`, bearer or cookie) and the
/// caller's role in the document's workspace before accepting the WebSocket.
pub async fn collab_socket(
    State(state): State<AppState>,
    Path(doc): Path<DocumentId>,
    Query(params): Query<HashMap<String, String>>,
    parts: Parts,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let token = params.get("token").cloned().filter(|t| !t.is_empty()).or_else(|| presented_token(&parts));
    let token = token.ok_or_else(ApiError::unauthenticated)?;
    let user = state.store.user_for_session(&hash_token(&token)).await?.ok_or_else(ApiError::unauthenticated)?;
    let document = state.store.document(&doc).await?.ok_or_else(|| ApiError::not_found("document"))?;
    let role = authorize(&state, &document.workspace_id, &user.id, Role::can_view, "open its documents").await?;
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "websocket_required",
            format!("{rejection}: connect with a WebSocket"),
        )
    })?;
    let limit = state.collab.config().limits.max_message_bytes;
    let hub = state.collab.clone();
    let metrics = state.metrics.clone();
    let upgrade = upgrade.max_message_size(limit).max_frame_size(limit).read_buffer_size(READ_BUFFER_BYTES);
    Ok(upgrade.on_upgrade(move |socket| async move {
        metrics.websocket_opened();
        run_connection(socket, hub, doc, user.id, role.can_edit_documents()).await;
        metrics.websocket_closed();
    }))
}

/// A token bucket: `rate` messages per second sustained, bursts up to `burst`.
#[derive(Debug)]
struct MessageRate {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl MessageRate {
    fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        Self { rate, burst: rate * 4.0, tokens: rate * 4.0, last: Instant::now() }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

async fn run_connection(socket: WebSocket, hub: Arc<DocHub>, doc: DocumentId, user: UserId, can_write: bool) {
    let (mut sink, mut stream) = socket.split();
    let config = hub.config().clone();
    let (frames_tx, mut frames_rx) = mpsc::channel::<Outgoing>(config.send_queue);
    let (close_tx, mut close_rx) = mpsc::channel::<(u16, String)>(1);
    let conn = hub.next_conn();

    let writer = tokio::spawn(async move {
        let close = loop {
            tokio::select! {
                biased;
                Some(close) = close_rx.recv() => break Some(close),
                item = frames_rx.recv() => match item {
                    Some(Outgoing::Frame(bytes)) => {
                        // Write every frame already queued, then flush once: one
                        // write to the socket for a burst instead of one per frame.
                        if sink.feed(Message::Binary(bytes)).await.is_err() {
                            break None;
                        }
                        let mut then = None;
                        for _ in 1..MAX_FRAMES_PER_FLUSH {
                            match frames_rx.try_recv() {
                                Ok(Outgoing::Frame(bytes)) => {
                                    if sink.feed(Message::Binary(bytes)).await.is_err() {
                                        then = Some(None);
                                        break;
                                    }
                                }
                                Ok(Outgoing::Close(code, reason)) => {
                                    then = Some(Some((code, reason)));
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        if sink.flush().await.is_err() {
                            break None;
                        }
                        if let Some(close) = then {
                            break close;
                        }
                    }
                    Some(Outgoing::Close(code, reason)) => break Some((code, reason)),
                    None => break Some((close_code::GOING_AWAY, "closing".to_owned())),
                },
            }
        };
        if let Some((code, reason)) = close {
            let frame = CloseFrame { code, reason: truncate_reason(&reason).into() };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        let _ = sink.close().await;
    });

    let outbox = Outbox { frames: frames_tx, close: close_tx.clone() };
    if let Err(err) = hub.join(&doc, conn, user, can_write, outbox).await {
        tracing::warn!(%err, doc = %doc, "could not open document for a connection");
        let _ = close_tx.try_send((close_code::INTERNAL, "could not open the document".to_owned()));
    } else {
        let mut rate = MessageRate::new(config.messages_per_second);
        while let Some(message) = stream.next().await {
            match message {
                Ok(Message::Binary(data)) => {
                    if !rate.allow() {
                        let _ = close_tx.try_send((close_code::POLICY, "rate limit exceeded".to_owned()));
                        break;
                    }
                    hub.frame(&doc, conn, data).await;
                }
                Ok(Message::Text(_)) => {
                    let reason = "text frames are not part of the y-websocket protocol".to_owned();
                    let _ = close_tx.try_send((close_code::UNSUPPORTED, reason));
                    break;
                }
                Ok(Message::Close(_)) => break,
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
                Err(err) => {
                    let text = err.to_string();
                    let code = if text.contains("too long") || text.contains("Space limit") {
                        close_code::TOO_BIG
                    } else {
                        close_code::INVALID_DATA
                    };
                    tracing::debug!(%text, "websocket read failed");
                    let _ = close_tx.try_send((code, truncate_reason(&text)));
                    break;
                }
            }
        }
        hub.leave(&doc, conn).await;
    }
    drop(close_tx);
    // The room drops its outbox on Leave, which ends the writer; bound the wait.
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(5), writer).await.is_err() {
        abort.abort();
    }
}

/// Close reasons are limited to 123 bytes by the WebSocket protocol.
fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

impl IntoResponse for super::hub::HubError {
    fn into_response(self) -> Response {
        match self {
            super::hub::HubError::TooLarge(message) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "document_too_large", message).into_response()
            }
            super::hub::HubError::Deleted => ApiError::not_found("document").into_response(),
            super::hub::HubError::Invalid(message) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_update", message).into_response()
            }
            other => ApiError::internal(other).into_response(),
        }
    }
}
