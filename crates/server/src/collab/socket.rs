//! `GET /collab/{doc_id}`: one y-websocket connection. Authenticates before the
//! upgrade (401/403/404 as HTTP answers), then runs the connection in one task
//! on the shared loop ([`crate::ws::connection`]): its send queue drained onto
//! the socket, its binary frames passed to the document's room.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use bytes::Bytes;
use reynard_proto::{DocumentId, Role};

use reynard_collab::ConnId;
use reynard_store::workspaces::Access;

use super::hub::DocHub;
use crate::api::workspaces::authorize;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::ws::connection::{self, Flow, FrameHandler};
use crate::ws::connections::{Holder, session_key};
use crate::ws::handshake::{Socket, UpgradeRejection, WebSocketUpgrade};
use crate::ws::io::{FrameKind, close};
use crate::ws::outbox::{self, Inbox, Next, Outbox};
use crate::ws::upgrade as ws_upgrade;
use crate::ws::{ACCESS_REMOVED, SIGNED_OUT, close_code};

/// The upgrade handler: checks the token (`?token=`, bearer or cookie) and the
/// caller's role in the document's workspace before accepting the WebSocket,
/// and registers the connection (refused past the user's connection cap) so
/// that it closes as soon as that access ends.
pub async fn collab_socket(
    State(state): State<AppState>,
    Path(doc): Path<DocumentId>,
    Query(params): Query<HashMap<String, String>>,
    parts: Parts,
    upgrade: Result<WebSocketUpgrade, UpgradeRejection>,
) -> ApiResult<Response> {
    let (user, session) = ws_upgrade::session_user(&state, &params, &parts).await?;
    let document = state.store.document(&doc).await?.ok_or_else(|| ApiError::not_found("document"))?;
    let role = authorize(&state, &document.workspace_id, &user.id, Role::can_view, "open its documents").await?;
    let upgrade = ws_upgrade::websocket_required(upgrade)?;
    let hub = state.collab.clone();
    let config = hub.config();
    let (outbox, inbox) = outbox::queue(config.send_queue, config.send_queue_bytes);
    let conn = hub.next_conn();
    let holder = Holder { user: user.id.clone(), session: session_key(&session), workspace: document.workspace_id };
    let registration = ws_upgrade::register(&state, conn, &holder, role, &session, &outbox).await?;
    let limit = config.limits.max_message_bytes;
    let metrics = state.metrics.clone();
    let upgrade = upgrade.max_message_size(limit);
    let messages_per_second = config.messages_per_second;
    // Boxed: what only joining needs is one pointer in the connection's task,
    // which keeps what it captures for as long as the connection is open.
    let connection =
        Box::new(Connection { conn, doc, holder, session, can_write: role.can_edit_documents(), hub, outbox });
    Ok(upgrade.on_upgrade(move |mut socket| async move {
        metrics.websocket_opened();
        // Joining is boxed too, and gives back only what the loop needs.
        if let Some(frames) = Box::pin(join(&mut socket, connection, &inbox)).await {
            connection::run(&mut socket, &inbox, messages_per_second, frames).await;
        }
        drop(registration);
        metrics.websocket_closed();
    }))
}

/// One accepted document connection, until it joined its room.
#[derive(Debug)]
struct Connection {
    conn: ConnId,
    doc: DocumentId,
    holder: Holder,
    /// The token hash of its session.
    session: String,
    /// Whether the role seen at the upgrade may edit.
    can_write: bool,
    hub: Arc<DocHub>,
    outbox: Outbox,
}

/// Joins the connection to its room, then looks at its access again. `None`
/// when it closed instead.
async fn join(socket: &mut Socket, connection: Box<Connection>, inbox: &Inbox) -> Option<DocFrames> {
    let Connection { conn, doc, holder, session, can_write, hub, outbox } = *connection;
    if let Next::Close(code, reason) = inbox.next() {
        // Its access ended before it ran.
        close(socket, code, &reason).await;
        return None;
    }
    if let Err(err) = hub.join(&doc, conn, holder.user.clone(), can_write, outbox).await {
        tracing::warn!(%err, doc = %doc, "could not open document for a connection");
        close(socket, close_code::INTERNAL, "could not open the document").await;
        return None;
    }
    // Access that ended or changed between the upgrade and the join reached a
    // room this connection was not in yet: look again now that it is. (The
    // holder is not kept past this: an idle connection holds little.)
    recheck_access(&hub, &doc, holder, session, can_write).await;
    Some(DocFrames { hub, doc, conn })
}

/// A document connection's frames go to its room; leaving the room is its end.
#[derive(Debug)]
struct DocFrames {
    hub: Arc<DocHub>,
    doc: DocumentId,
    conn: ConnId,
}

impl FrameHandler for DocFrames {
    const FRAMES: FrameKind = FrameKind::Binary;
    const WRONG_FRAME_REASON: &'static str = "text frames are not part of the y-websocket protocol";

    fn on_frame(&mut self, payload: Bytes) -> impl Future<Output = Flow> + Send {
        // Queued at once in the common case; the future holds only the wait.
        let waiting = self.hub.frame(&self.doc, self.conn, payload);
        async move {
            if let Some(waiting) = waiting {
                waiting.await;
            }
            Flow::Continue
        }
    }

    async fn on_end(&mut self) {
        Box::pin(self.hub.leave(&self.doc, self.conn)).await;
    }
}

/// Checks the connection's session and role again, and applies what changed
/// since the upgrade: a session that ended or a membership that was removed
/// closes it, a role that changed sets what it may do.
async fn recheck_access(hub: &Arc<DocHub>, doc: &DocumentId, holder: Holder, session: String, could_write: bool) {
    let connections = hub.connections();
    match hub.store().user_for_session(&session).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            connections.close_session(&session, close_code::POLICY, SIGNED_OUT);
            return;
        }
        Err(err) => tracing::warn!(%err, "could not check a session again"),
    }
    match hub.store().workspace_access(&holder.workspace, &holder.user).await {
        Ok(Access::Member(role)) if role.can_edit_documents() == could_write => {}
        Ok(Access::Member(role)) => hub.access_changed_in(doc, &holder.workspace, &holder.user, Some(role)).await,
        Ok(Access::NotMember | Access::Missing) => {
            connections.close_member(&holder.workspace, &holder.user, close_code::POLICY, ACCESS_REMOVED);
        }
        Err(err) => tracing::warn!(%err, "could not check a role again"),
    }
}
