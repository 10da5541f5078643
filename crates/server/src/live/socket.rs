//! `GET /api/v1/workspaces/{ws}/live`: one browser tab's live socket (JSON text
//! frames). Authenticates before the upgrade (401/403/404 as HTTP answers; the
//! `Origin` rule applies as to every upgrade), registers the connection so that
//! it closes as soon as the user's access ends, then runs it in one task on the
//! shared loop ([`crate::ws::connection`]): its queue written to the socket as
//! text frames, its commands read under a rate and size limit.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use bytes::Bytes;
use reynard_collab::ConnId;
use reynard_proto::chat::{LiveCommand, LiveEvent, LiveLocation};
use reynard_proto::{Role, RoomId, WorkspaceId};
use reynard_store::Store;
use reynard_store::workspaces::Access;

use super::LiveHub;
use crate::api::workspaces::authorize;
use crate::error::ApiResult;
use crate::rtc::Calls;
use crate::state::AppState;
use crate::ws::connection::{self, Flow, FrameHandler};
use crate::ws::connections::{Holder, session_key};
use crate::ws::handshake::{Socket, UpgradeRejection, WebSocketUpgrade};
use crate::ws::io::{FrameKind, close};
use crate::ws::outbox::{self, Inbox, Next, Outbox};
use crate::ws::upgrade as ws_upgrade;
use crate::ws::{ACCESS_REMOVED, SIGNED_OUT, close_code};

/// The largest frame a tab may send (commands are small).
pub const MAX_COMMAND_BYTES: usize = 16 * 1024;
/// Commands a tab may send per second (sustained; bursts of 4× pass).
const COMMANDS_PER_SECOND: u32 = 20;
/// Frames queued for a tab before it counts as too slow.
const SEND_QUEUE_FRAMES: usize = 4096;
/// The upgrade handler.
pub async fn live_socket(
    State(state): State<AppState>,
    Path(ws): Path<WorkspaceId>,
    Query(params): Query<HashMap<String, String>>,
    parts: Parts,
    upgrade: Result<WebSocketUpgrade, UpgradeRejection>,
) -> ApiResult<Response> {
    let (user, session) = ws_upgrade::session_user(&state, &params, &parts).await?;
    let role = authorize(&state, &ws, &user.id, Role::can_chat, "open its live socket").await?;
    let upgrade = ws_upgrade::websocket_required(upgrade)?;
    let (outbox, inbox) = outbox::queue(SEND_QUEUE_FRAMES, state.config.collab.send_queue_bytes);
    let conn = state.connections.next_conn();
    let holder = Holder { user: user.id.clone(), session: session_key(&session), workspace: ws.clone() };
    let registration = ws_upgrade::register(&state, conn, &holder, role, &session, &outbox).await?;
    let metrics = state.metrics.clone();
    let upgrade = upgrade.max_message_size(MAX_COMMAND_BYTES);
    let tab = TabConnection { conn, ws, holder, session, name: user.name };
    let (live, store, calls) = (state.live.clone(), state.store.clone(), state.rtc.calls.clone());
    Ok(upgrade.on_upgrade(move |mut socket| async move {
        metrics.websocket_opened();
        run_tab(&mut socket, &live, &store, &calls, tab, outbox, inbox).await;
        drop(registration);
        metrics.websocket_closed();
    }))
}

/// One accepted tab.
#[derive(Debug)]
struct TabConnection {
    conn: ConnId,
    ws: WorkspaceId,
    holder: Holder,
    /// The token hash of its session.
    session: String,
    name: String,
}

/// Runs one tab in one task (the loop in [`crate::ws::connection`]): registers
/// it with its workspace, then writes its queue as text frames and carries out
/// its commands.
async fn run_tab(
    socket: &mut Socket,
    live: &LiveHub,
    store: &Store,
    calls: &Calls,
    tab: TabConnection,
    outbox: Outbox,
    inbox: Inbox,
) {
    // Opening is boxed, and takes the tab's values and gives back only what the
    // loop needs: the future every tab holds while it is open keeps nothing of it.
    let Some(commands) = Box::pin(open_tab(socket, live, store, calls, tab, outbox, &inbox)).await else { return };
    connection::run(socket, &inbox, COMMANDS_PER_SECOND, commands).await;
}

/// Registers the tab with its workspace, then looks at its access again. `None`
/// when it closed instead.
async fn open_tab<'a>(
    socket: &mut Socket,
    live: &'a LiveHub,
    store: &'a Store,
    calls: &Calls,
    tab: TabConnection,
    outbox: Outbox,
    inbox: &Inbox,
) -> Option<TabCommands<'a>> {
    let TabConnection { conn, ws, holder, session, name } = tab;
    if let Next::Close(code, reason) = inbox.next() {
        close(socket, code, &reason).await;
        return None;
    }
    live.join(&ws, conn, holder.user.clone(), name, outbox);
    // Access that ended between the upgrade and the registration closed nothing:
    // look again now that the tab is registered.
    if let Some(reason) = access_ended(store, &ws, &holder, &session).await {
        live.leave(&ws, conn);
        close(socket, close_code::POLICY, reason).await;
        return None;
    }
    // Calls under way: later changes come as they happen.
    for (room_id, participants) in calls.rosters_of(&ws) {
        live.reply(&ws, conn, &LiveEvent::Call { room_id, participants });
    }
    Some(TabCommands { live, store, ws, conn })
}

/// A tab's frames are commands; leaving its workspace is its end.
#[derive(Debug)]
struct TabCommands<'a> {
    live: &'a LiveHub,
    store: &'a Store,
    ws: WorkspaceId,
    conn: ConnId,
}

impl FrameHandler for TabCommands<'_> {
    const FRAMES: FrameKind = FrameKind::Text;
    const WRONG_FRAME_REASON: &'static str = "the live socket speaks JSON text frames";

    async fn on_frame(&mut self, payload: Bytes) -> Flow {
        let (live, ws, conn) = (self.live, &self.ws, self.conn);
        match serde_json::from_slice::<LiveCommand>(&payload) {
            Ok(command) => handle(live, self.store, ws, conn, command).await,
            Err(err) => reply_error(live, ws, conn, "invalid_command", &format!("not a command: {err}")),
        }
        Flow::Continue
    }

    async fn on_end(&mut self) {
        self.live.leave(&self.ws, self.conn);
    }
}

/// Carries out one command of a tab.
async fn handle(live: &LiveHub, store: &Store, ws: &WorkspaceId, conn: ConnId, command: LiveCommand) {
    match command {
        LiveCommand::Location { location } => {
            let known = match &location {
                LiveLocation::Workspace => Ok(true),
                LiveLocation::Document(doc) => {
                    store.document(doc).await.map(|d| d.is_some_and(|d| d.workspace_id == *ws))
                }
                LiveLocation::Room(room) => room_of(store, ws, room).await,
            };
            match known {
                Ok(true) => live.moved(ws, conn, location),
                Ok(false) => reply_error(live, ws, conn, "not_found", "no such document or room in this workspace"),
                Err(err) => {
                    tracing::warn!(%err, "could not look up a tab's location");
                    reply_error(live, ws, conn, "internal", "could not look that up; try again");
                }
            }
        }
        LiveCommand::Typing { room_id } => match room_of(store, ws, &room_id).await {
            Ok(true) => live.typing(ws, conn, &room_id),
            Ok(false) => reply_error(live, ws, conn, "not_found", "no such room in this workspace"),
            Err(err) => {
                tracing::warn!(%err, "could not look up a room");
                reply_error(live, ws, conn, "internal", "could not look that up; try again");
            }
        },
        LiveCommand::TypingStopped { room_id } => live.typing_stopped(ws, conn, &room_id),
    }
}

/// Whether `room` is an open room of `ws`.
async fn room_of(store: &Store, ws: &WorkspaceId, room: &RoomId) -> Result<bool, reynard_store::Error> {
    Ok(store.room(room).await?.is_some_and(|room| room.workspace_id == *ws && !room.archived))
}

fn reply_error(live: &LiveHub, ws: &WorkspaceId, conn: ConnId, code: &str, message: &str) {
    live.reply(ws, conn, &LiveEvent::Error { code: code.to_owned(), message: message.to_owned() });
}

/// Why the tab's access ended since the upgrade, if it did.
async fn access_ended(store: &Store, ws: &WorkspaceId, holder: &Holder, session: &str) -> Option<&'static str> {
    match store.user_for_session(session).await {
        Ok(Some(_)) => {}
        Ok(None) => return Some(SIGNED_OUT),
        Err(err) => tracing::warn!(%err, "could not check a session again"),
    }
    match store.workspace_access(ws, &holder.user).await {
        Ok(Access::Member(role)) if role.can_chat() => None,
        Ok(_) => Some(ACCESS_REMOVED),
        Err(err) => {
            tracing::warn!(%err, "could not check a role again");
            None
        }
    }
}
