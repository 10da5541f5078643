//! `GET /api/v1/rooms/{room}/call`: one participation in a room's call, as a
//! WebSocket of JSON text frames (`reynard_proto::call`). Authenticates and
//! authorizes before the upgrade (401/404 as HTTP answers, outsiders never
//! learn a room exists; the `Origin` rule applies as to every upgrade),
//! registers the connection so that it closes as soon as the user's access
//! ends, then joins the call: the first frame is `joined`, or the socket
//! closes with 1008 and the refusal (`call_full: …`, `not_allowed: …`).
//! Closing the socket leaves the call.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use bytes::Bytes;
use reynard_proto::call::{CallCommand, CallEvent};
use reynard_proto::{ParticipantId, Role, RoomId};
use reynard_rtc::call::Joining;

use super::attendance::Attendance;
use super::engine::{Calls, JoinError};
use crate::api::rooms::room_access;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::ws::close_code;
use crate::ws::connection::{self, Flow, FrameHandler};
use crate::ws::connections::{Holder, session_key};
use crate::ws::handshake::{Socket, UpgradeRejection, WebSocketUpgrade};
use crate::ws::io::{FrameKind, close};
use crate::ws::outbox;
use crate::ws::upgrade as ws_upgrade;

/// The largest frame a participant may send (an SDP offer with many tracks).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Frames a participant may send per second (ICE candidates come in bursts).
const FRAMES_PER_SECOND: u32 = 30;
/// Frames queued for a participant before it counts as too slow.
pub(crate) const SEND_QUEUE_FRAMES: usize = 1024;
/// Bytes queued for a participant before it counts as too slow.
pub(crate) const SEND_QUEUE_BYTES: usize = 4 * 1024 * 1024;

/// The upgrade handler.
pub async fn call_socket(
    State(state): State<AppState>,
    Path(room): Path<RoomId>,
    Query(params): Query<HashMap<String, String>>,
    parts: Parts,
    upgrade: Result<WebSocketUpgrade, UpgradeRejection>,
) -> ApiResult<Response> {
    let (user, session) = ws_upgrade::session_user(&state, &params, &parts).await?;
    let (room_view, role) = room_access(&state, &room, &user.id, Role::can_join_calls, "join calls").await?;
    let upgrade = ws_upgrade::websocket_required(upgrade)?;
    // The process serving this room's call (this one, unless the call is
    // served by another process of a scaled-out deployment).
    let owner = super::relay::owner_of(&state, &room).await.map_err(ApiError::internal)?;
    let (outbox, inbox) = outbox::queue(SEND_QUEUE_FRAMES, SEND_QUEUE_BYTES);
    let conn = state.connections.next_conn();
    let workspace = room_view.workspace_id.clone();
    let holder = Holder { user: user.id.clone(), session: session_key(&session), workspace: workspace.clone() };
    let registration = ws_upgrade::register(&state, conn, &holder, role, &session, &outbox).await?;
    let upgrade = upgrade.max_message_size(MAX_FRAME_BYTES);
    let calls = state.rtc.calls.clone();
    let metrics = state.metrics.clone();
    let participant = ParticipantId::new(uuid::Uuid::new_v4().to_string());
    let store = state.store.clone();
    let attendee = user.id.clone();
    let joining = Joining { participant: participant.clone(), user: user.id, name: user.name, role };
    let relay_state = state.clone();
    Ok(upgrade.on_upgrade(move |mut socket| async move {
        metrics.websocket_opened();
        if owner != relay_state.process {
            super::relay::join(&relay_state, owner, &room, &workspace, joining, outbox);
            let attendance = Attendance::joined(&store, &room, &attendee).await;
            let handler = RelayedFrames { state: &relay_state, owner, room: room.clone(), participant };
            connection::run(&mut socket, &inbox, FRAMES_PER_SECOND, handler).await;
            attendance.left().await;
            drop(registration);
            metrics.websocket_closed();
            return;
        }
        let joined = calls.join(room.clone(), workspace.clone(), joining, outbox).await;
        match joined {
            Ok(()) => {
                let attendance = Attendance::joined(&store, &room, &attendee).await;
                run_participant(&mut socket, &calls, room, participant, &inbox).await;
                attendance.left().await;
            }
            Err(JoinError::Refused(refusal)) => {
                close(&mut socket, close_code::POLICY, &refusal.to_string()).await;
            }
            Err(JoinError::Stopped) => close(&mut socket, close_code::GOING_AWAY, "the server is shutting down").await,
        }
        drop(registration);
        metrics.websocket_closed();
    }))
}

async fn run_participant(
    socket: &mut Socket,
    calls: &Calls,
    room: RoomId,
    participant: ParticipantId,
    inbox: &outbox::Inbox,
) {
    // The loop writes `joined` (already queued) first; a close queued since
    // (the call ended at once) is written in its turn.
    let handler = ParticipantFrames { calls, room, participant };
    connection::run(socket, inbox, FRAMES_PER_SECOND, handler).await;
}

/// The frames of a participant whose call another process serves go there.
struct RelayedFrames<'a> {
    state: &'a AppState,
    owner: reynard_bus::ProcessId,
    room: RoomId,
    participant: ParticipantId,
}

impl FrameHandler for RelayedFrames<'_> {
    const FRAMES: FrameKind = FrameKind::Text;
    const WRONG_FRAME_REASON: &'static str = "the call socket speaks JSON text frames";

    async fn on_frame(&mut self, payload: Bytes) -> Flow {
        let text = String::from_utf8_lossy(&payload).into_owned();
        super::relay::command(self.state, self.owner, &self.room, &self.participant, text);
        Flow::Continue
    }

    async fn on_end(&mut self) {
        super::relay::closed(self.state, self.owner, &self.room, &self.participant);
    }
}

/// A participant's frames are call commands; its socket ending is leaving.
#[derive(Debug)]
struct ParticipantFrames<'a> {
    calls: &'a Calls,
    room: RoomId,
    participant: ParticipantId,
}

impl FrameHandler for ParticipantFrames<'_> {
    const FRAMES: FrameKind = FrameKind::Text;
    const WRONG_FRAME_REASON: &'static str = "the call socket speaks JSON text frames";

    async fn on_frame(&mut self, payload: Bytes) -> Flow {
        match serde_json::from_slice::<CallCommand>(&payload) {
            Ok(command) => self.calls.frame(self.room.clone(), self.participant.clone(), command),
            Err(err) => {
                let error =
                    CallEvent::Error { code: "invalid_command".to_owned(), message: format!("not a command: {err}") };
                self.calls.reply(self.room.clone(), self.participant.clone(), error);
            }
        }
        Flow::Continue
    }

    async fn on_end(&mut self) {
        self.calls.socket_closed(self.room.clone(), self.participant.clone());
    }
}
