//! Access that ends on every process at once: a role change or a removal, a
//! sign-out, a deleted workspace. The process that makes the change acts on
//! its own connections, then publishes the change on the bus's control topic;
//! every other process hears it and acts on its connections the same way
//! (closing or downgrading document, live and call sockets). The database
//! already holds the change, so a process that misses the event still refuses
//! the next request; this closes what is open. Events can be missed while the
//! bus's connection is down: when the bus says so (a resync of the control
//! topic), the process checks every connection it holds against the database
//! and acts on what changed meanwhile.

use std::sync::Arc;

use reynard_bus::{Payload, Published, Topic};
use reynard_proto::{DocumentId, Role, UserId, WorkspaceId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::state::AppState;
use crate::ws::{SIGNED_OUT, close_code};

/// A change of access, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum AccessEvent {
    /// A member's role changed (`role`), or they left or were removed (`None`).
    Member { workspace: WorkspaceId, user: UserId, role: Option<Role> },
    /// A session ended (by its token hash).
    SignedOut { session: String },
    /// A workspace was deleted, with its documents.
    WorkspaceDeleted { workspace: WorkspaceId, documents: Vec<DocumentId> },
    /// The publishing process is alive (see `crate::liveness`).
    Alive,
}

/// `user`'s role in `workspace` changed (or ended, `None`): their open
/// connections here and on every other process follow.
pub async fn member_changed(state: &AppState, workspace: &WorkspaceId, user: &UserId, role: Option<Role>) {
    let event = AccessEvent::Member { workspace: workspace.clone(), user: user.clone(), role };
    apply(state, &event).await;
    publish(state, &event);
}

/// A session ended: its connections close here and on every other process.
pub async fn signed_out(state: &AppState, token_hash: &str) {
    let event = AccessEvent::SignedOut { session: token_hash.to_owned() };
    apply(state, &event).await;
    publish(state, &event);
}

/// A workspace was deleted: its connections and rooms close everywhere.
pub async fn workspace_deleted(state: &AppState, workspace: &WorkspaceId, documents: Vec<DocumentId>) {
    let event = AccessEvent::WorkspaceDeleted { workspace: workspace.clone(), documents };
    apply(state, &event).await;
    publish(state, &event);
}

fn publish(state: &AppState, event: &AccessEvent) {
    match serde_json::to_string(event) {
        Ok(json) => state.bus.publish(Published {
            origin: state.process,
            topic: Topic::Control,
            payload: Payload::Json(Arc::from(json)),
        }),
        Err(err) => tracing::error!(%err, "an access change could not be written for the other processes"),
    }
}

async fn apply(state: &AppState, event: &AccessEvent) {
    match event {
        AccessEvent::Member { workspace, user, role } => {
            if let Some(role) = role {
                state.connections.set_role(workspace, user, *role);
            }
            state.collab.access_changed(workspace, user, *role).await;
            state.rtc.calls.role_changed(workspace.clone(), user.clone(), *role);
        }
        AccessEvent::SignedOut { session } => {
            state.connections.close_session(session, close_code::POLICY, SIGNED_OUT);
        }
        AccessEvent::WorkspaceDeleted { workspace, documents } => {
            state.collab.close_workspace(workspace, documents).await;
        }
        AccessEvent::Alive => {}
    }
}

/// Checks the connections this process holds against the database, after
/// changes of access may have been missed: those whose session or membership
/// ended close, those whose role changed follow the new role.
async fn reconcile(state: &AppState) {
    let snapshot = state.connections.snapshot();
    if snapshot.is_empty() {
        return;
    }
    // Read after the snapshot: whatever it holds was authorized before.
    let truth = async {
        let sessions = state.store.unexpired_session_hashes().await?;
        let members = state.store.all_memberships().await?;
        Ok::<_, reynard_store::Error>((sessions, members))
    };
    let (sessions, members) = match truth.await {
        Ok(truth) => truth,
        Err(err) => {
            tracing::warn!(%err, "connections could not be checked against the database after missed access changes");
            return;
        }
    };
    let connections = state.connections.clone();
    let reconciled =
        match tokio::task::spawn_blocking(move || connections.reconcile(&snapshot, &sessions, &members)).await {
            Ok(reconciled) => reconciled,
            Err(err) => {
                tracing::error!(%err, "checking connections against the database failed");
                return;
            }
        };
    if reconciled.closed > 0 || !reconciled.changed_roles.is_empty() {
        tracing::info!(
            closed = reconciled.closed,
            roles = reconciled.changed_roles.len(),
            "access changes missed while the bus was away were applied"
        );
    }
    for (workspace, user, role) in reconciled.changed_roles {
        apply(state, &AccessEvent::Member { workspace, user, role: Some(role) }).await;
    }
}

/// What the listener hears on the control topic.
enum Heard {
    /// An access change published by another process.
    Event(Arc<str>),
    /// Events may have been missed.
    Resync,
}

/// Starts acting on the access changes other processes publish (and checking
/// every connection when some may have been missed), noting who is alive, and
/// (on a bus shared with other processes) saying that this process is.
pub fn listen(state: AppState) -> JoinHandle<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Heard>();
    let process = state.process;
    let liveness = state.liveness.clone();
    state.bus.subscribe(
        &Topic::Control,
        Arc::new(move |event: Published| match &event.payload {
            Payload::Json(json) if event.origin != process => {
                liveness.heard(event.origin);
                let _ = tx.send(Heard::Event(json.clone()));
            }
            Payload::Resync => {
                let _ = tx.send(Heard::Resync);
            }
            _ => {}
        }),
    );
    tokio::spawn(async move {
        let distributed = state.bus.distributed();
        let mut heartbeat = tokio::time::interval(crate::liveness::HEARTBEAT_EVERY);
        loop {
            tokio::select! {
                heard = rx.recv() => match heard {
                    None => return,
                    Some(Heard::Event(json)) => match serde_json::from_str::<AccessEvent>(&json) {
                        Ok(event) => apply(&state, &event).await,
                        Err(err) => tracing::warn!(%err, "an unreadable access change from another process"),
                    },
                    Some(Heard::Resync) => reconcile(&state).await,
                },
                _ = heartbeat.tick(), if distributed => publish(&state, &AccessEvent::Alive),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_events_read_back() {
        let events = [
            AccessEvent::Member { workspace: WorkspaceId::new("w"), user: UserId::new("u"), role: Some(Role::Viewer) },
            AccessEvent::Member { workspace: WorkspaceId::new("w"), user: UserId::new("u"), role: None },
            AccessEvent::SignedOut { session: "abc".to_owned() },
            AccessEvent::WorkspaceDeleted { workspace: WorkspaceId::new("w"), documents: vec![DocumentId::new("d")] },
        ];
        for event in events {
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(serde_json::from_str::<AccessEvent>(&json).unwrap(), event, "{json}");
        }
    }
}
