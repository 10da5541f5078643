//! Calls across processes (scale-out). One process serves a room's call: its
//! SFU forwards the media, and browsers send media straight to its media
//! address (the SDP it answers names it). Ownership is a lease in
//! `call_owners`, taken by the process where the call's first participant
//! joins and renewed while the call has participants.
//!
//! A participant whose call socket lands on another process is relayed over
//! the bus, on topics addressed to one process: the socket's process sends
//! `join`, the participant's commands and the socket's end to the owner; the
//! owner joins them to its call with a queue whose frames it sends back, and
//! the socket's process writes them to the socket. When the owner goes silent
//! (it died), relayed sockets close with 1012 so that browsers rejoin, and the
//! first to rejoin takes the call over.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use reynard_bus::{Payload, ProcessId, Published, Topic};
use reynard_proto::call::{CallCommand, CallEvent};
use reynard_proto::{ParticipantId, Role, RoomId, UserId, WorkspaceId};
use reynard_rtc::call::Joining;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::engine::JoinError;
use crate::liveness::HEARTBEAT_EVERY;
use crate::state::AppState;
use crate::ws::close_code;
use crate::ws::outbox::{self, Next, Outbox};

/// How long an owner's lease on a call runs without renewal.
const LEASE_MS: i64 = 15_000;
/// The close code telling a browser to join again (its call moved).
const CALL_MOVED: u16 = 1012;

/// A message between the process of a participant's socket and the process
/// serving the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum RelayMessage {
    /// To the owner: join this participant to the room's call.
    Join { room: RoomId, workspace: WorkspaceId, participant: ParticipantId, user: UserId, name: String, role: Role },
    /// To the owner: a frame the participant sent (JSON text).
    Command { room: RoomId, participant: ParticipantId, text: String },
    /// To the owner: the participant's socket ended.
    Closed { room: RoomId, participant: ParticipantId },
    /// To the socket's process: a frame for the participant.
    Frame { participant: ParticipantId, frame: String },
    /// To the socket's process: close the participant's socket.
    Close { participant: ParticipantId, code: u16, reason: String },
}

/// A socket of this process whose call another process serves.
#[derive(Debug)]
struct Relayed {
    owner: ProcessId,
    outbox: Outbox,
    since: Instant,
}

/// This process's relayed sockets.
#[derive(Debug, Default)]
pub struct CallRelay {
    sockets: Mutex<HashMap<ParticipantId, Relayed>>,
}

impl CallRelay {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ParticipantId, Relayed>> {
        self.sockets.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn send(state: &AppState, to: ProcessId, message: &RelayMessage) {
    match serde_json::to_string(message) {
        Ok(json) => state.bus.publish(Published {
            origin: state.process,
            topic: Topic::Process(to),
            payload: Payload::Json(Arc::from(json)),
        }),
        Err(err) => tracing::error!(%err, "a call relay message could not be written"),
    }
}

/// The process serving `room`'s call: this one when the bus reaches no other
/// process, else the holder of the lease (taken here if free, expired, or held
/// by a process that went silent).
pub async fn owner_of(state: &AppState, room: &RoomId) -> anyhow::Result<ProcessId> {
    if !state.bus.distributed() {
        return Ok(state.process);
    }
    let me = state.process.0.to_string();
    let now = reynard_store::now_millis();
    let mut owner = state.store.claim_call_owner(room, &me, now, now + LEASE_MS, None).await?;
    if owner != me {
        let holder = ProcessId(owner.parse()?);
        if state.liveness.is_dead(holder, state.liveness.started()) {
            owner = state.store.claim_call_owner(room, &me, now, now + LEASE_MS, Some(&owner)).await?;
        }
    }
    Ok(ProcessId(owner.parse()?))
}

/// Relays a socket of this process to `owner`'s call: `outbox` is the socket's
/// queue. Returns at once; the owner's answer (`joined`, or a refusal that
/// closes the socket) arrives through the bus.
pub fn join(
    state: &AppState,
    owner: ProcessId,
    room: &RoomId,
    workspace: &WorkspaceId,
    joining: Joining,
    outbox: Outbox,
) {
    let participant = joining.participant.clone();
    state.rtc.relay.lock().insert(participant.clone(), Relayed { owner, outbox, since: Instant::now() });
    send(
        state,
        owner,
        &RelayMessage::Join {
            room: room.clone(),
            workspace: workspace.clone(),
            participant,
            user: joining.user,
            name: joining.name,
            role: joining.role,
        },
    );
}

/// A frame the relayed participant sent.
pub fn command(state: &AppState, owner: ProcessId, room: &RoomId, participant: &ParticipantId, text: String) {
    send(state, owner, &RelayMessage::Command { room: room.clone(), participant: participant.clone(), text });
}

/// The relayed participant's socket ended.
pub fn closed(state: &AppState, owner: ProcessId, room: &RoomId, participant: &ParticipantId) {
    state.rtc.relay.lock().remove(participant);
    send(state, owner, &RelayMessage::Closed { room: room.clone(), participant: participant.clone() });
}

/// Starts serving relay messages addressed to this process, renewing the
/// leases of the calls it serves, and closing relayed sockets whose owner went
/// silent. Nothing to do when the bus reaches no other process.
pub fn listen(state: AppState) -> JoinHandle<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(ProcessId, Arc<str>)>();
    if state.bus.distributed() {
        state.bus.subscribe(
            &Topic::Process(state.process),
            Arc::new(move |event: Published| {
                if let Payload::Json(json) = &event.payload {
                    let _ = tx.send((event.origin, json.clone()));
                }
            }),
        );
    }
    tokio::spawn(async move {
        if !state.bus.distributed() {
            return;
        }
        let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
        loop {
            tokio::select! {
                message = rx.recv() => {
                    let Some((from, json)) = message else { return };
                    match serde_json::from_str::<RelayMessage>(&json) {
                        Ok(message) => handle(&state, from, message).await,
                        Err(err) => tracing::warn!(%err, "an unreadable call relay message"),
                    }
                }
                _ = tick.tick() => maintain(&state).await,
            }
        }
    })
}

async fn handle(state: &AppState, from: ProcessId, message: RelayMessage) {
    let calls = &state.rtc.calls;
    match message {
        RelayMessage::Join { room, workspace, participant, user, name, role } => {
            let (queue, inbox) = outbox::queue(super::socket::SEND_QUEUE_FRAMES, super::socket::SEND_QUEUE_BYTES);
            let joining = Joining { participant: participant.clone(), user, name, role };
            match calls.join(room, workspace, joining, queue).await {
                Ok(()) => {
                    let state = state.clone();
                    tokio::spawn(async move { pump(&state, from, participant, inbox).await });
                }
                Err(JoinError::Refused(refusal)) => send(
                    state,
                    from,
                    &RelayMessage::Close { participant, code: close_code::POLICY, reason: refusal.to_string() },
                ),
                Err(JoinError::Stopped) => send(
                    state,
                    from,
                    &RelayMessage::Close {
                        participant,
                        code: close_code::GOING_AWAY,
                        reason: "the server is shutting down".to_owned(),
                    },
                ),
            }
        }
        RelayMessage::Command { room, participant, text } => match serde_json::from_str::<CallCommand>(&text) {
            Ok(command) => calls.frame(room, participant, command),
            Err(err) => {
                let error =
                    CallEvent::Error { code: "invalid_command".to_owned(), message: format!("not a command: {err}") };
                calls.reply(room, participant, error);
            }
        },
        RelayMessage::Closed { room, participant } => calls.socket_closed(room, participant),
        RelayMessage::Frame { participant, frame } => {
            let full = match state.rtc.relay.lock().get(&participant) {
                Some(relayed) => relayed.outbox.push(Bytes::from(frame)).is_err(),
                None => false,
            };
            if full {
                let relayed = state.rtc.relay.lock().remove(&participant);
                if let Some(relayed) = relayed {
                    relayed.outbox.close(close_code::TRY_AGAIN_LATER, "too slow: join again");
                }
            }
        }
        RelayMessage::Close { participant, code, reason } => {
            if let Some(relayed) = state.rtc.relay.lock().remove(&participant) {
                relayed.outbox.close(code, reason);
            }
        }
    }
}

/// Sends what the call queues for a relayed participant back to its socket's process.
async fn pump(state: &AppState, to: ProcessId, participant: ParticipantId, inbox: outbox::Inbox) {
    loop {
        match inbox.next() {
            Next::Frame(frame) => {
                let frame = String::from_utf8_lossy(&frame).into_owned();
                send(state, to, &RelayMessage::Frame { participant: participant.clone(), frame });
            }
            Next::Close(code, reason) => {
                send(state, to, &RelayMessage::Close { participant, code, reason });
                return;
            }
            Next::Empty => inbox.ready().await,
        }
    }
}

/// Every few seconds: renew the leases of the calls served here, and close
/// relayed sockets whose owner went silent.
async fn maintain(state: &AppState) {
    let rooms = state.rtc.calls.active_rooms();
    if !rooms.is_empty() {
        let expires = reynard_store::now_millis() + LEASE_MS;
        if let Err(err) = state.store.renew_call_owner(&rooms, &state.process.0.to_string(), expires).await {
            tracing::warn!(%err, "call leases not renewed");
        }
    }
    let orphans: Vec<Relayed> = {
        let mut sockets = state.rtc.relay.lock();
        let dead: Vec<ParticipantId> =
            sockets.iter().filter(|(_, r)| state.liveness.is_dead(r.owner, r.since)).map(|(p, _)| p.clone()).collect();
        dead.iter().filter_map(|p| sockets.remove(p)).collect()
    };
    for relayed in orphans {
        relayed.outbox.close(CALL_MOVED, "the server of this call stopped: join again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_messages_read_back() {
        let messages = [
            RelayMessage::Join {
                room: RoomId::new("r"),
                workspace: WorkspaceId::new("w"),
                participant: ParticipantId::new("p"),
                user: UserId::new("u"),
                name: "Ada".to_owned(),
                role: Role::Editor,
            },
            RelayMessage::Command {
                room: RoomId::new("r"),
                participant: ParticipantId::new("p"),
                text: "{}".to_owned(),
            },
            RelayMessage::Closed { room: RoomId::new("r"), participant: ParticipantId::new("p") },
            RelayMessage::Frame { participant: ParticipantId::new("p"), frame: "{\"type\":\"joined\"}".to_owned() },
            RelayMessage::Close { participant: ParticipantId::new("p"), code: 1008, reason: "full".to_owned() },
        ];
        for message in messages {
            let json = serde_json::to_string(&message).unwrap();
            assert_eq!(serde_json::from_str::<RelayMessage>(&json).unwrap(), message, "{json}");
        }
    }
}
