//! The task that owns one open document. It takes events in batches: frames are
//! applied through [`DocRoom`], every accepted update of the batch is appended
//! to the log in **one** transaction (group commit), and only then does anything
//! leave the room — replies, the batch's updates merged into one message for
//! everyone, awareness changes. A client that has seen its update echoed knows
//! it is on disk.
//!
//! # Layout
//! - this file: [`run`], the event loop: it waits for events (or for the next
//!   automatic version, or eviction once idle), takes them in batches, and
//!   stops, handing events that raced with the stop to the next task.
//! - [`context`]: [`RoomContext`], what the task uses besides its document, and
//!   [`RoomRegistry`], the registry it leaves (the hub).
//! - `load`: opening the document from its snapshot and log.
//! - `batch`: one batch in three phases, **collect → commit → flush**: apply
//!   the events to the room, append the accepted updates to the log, and only
//!   then send and publish.
//! - `replication`: other processes' updates from the bus, gaps and catch-up
//!   from the log, publishing this room's events.
//! - `ghosts`: other processes' awareness clients, removed when their process dies.
//! - `versions`: when an automatic version is due, and recording versions.
//! - `presence`: awareness changes held briefly and sent merged, after the
//!   content they point at.
//! - `snapshot`: folding the log into a snapshot, when
//!   [`reynard_collab::update_log::LogSize`] says it is worth it.

mod batch;
mod context;
mod ghosts;
mod load;
mod presence;
mod replication;
mod snapshot;
mod versions;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use crate::collab::queue;
use reynard_bus::{Bus, ProcessId, SubscriptionId, Topic};
use reynard_collab::update_log::LogSize;
use reynard_collab::{ConnId, DocRoom};
use reynard_proto::{DocumentId, WorkspaceId};
use reynard_store::Store;
use tracing::Instrument;

pub use context::{RoomContext, RoomRegistry};
use versions::Versions;

use super::CollabConfig;
use super::events::{HubError, RoomEvent};
use crate::ws::Outbox;

/// Most events handled in one batch (and so in one transaction).
const MAX_BATCH: usize = 512;

/// A connection to the room.
#[derive(Debug)]
struct Client {
    /// The signed-in user (shared with the room's awareness: one copy per connection).
    user: Arc<str>,
    outbox: Outbox,
}

/// The state of one open document.
#[derive(Debug)]
struct RoomTask {
    doc: DocumentId,
    /// The workspace the document belongs to (for access changes).
    workspace: WorkspaceId,
    store: Store,
    config: CollabConfig,
    bus: Arc<dyn Bus>,
    /// `Topic::Document(doc)`, the topic of this document on the bus.
    topic: Topic,
    process: ProcessId,
    subscription: SubscriptionId,
    room: DocRoom,
    clients: HashMap<ConnId, Client>,
    /// The log sequence number of the last update appended.
    seq: i64,
    /// The log not yet folded into a snapshot, and the last snapshot's size.
    log: LogSize,
    /// The last version, and what changed since.
    versions: Versions,
    /// A stored update did not apply: the room stops without writing a
    /// snapshot (which would delete the log entries it folds).
    broken: bool,
    /// Catch-ups from the log of every room of this process (for `/metrics`).
    catch_ups: Arc<std::sync::atomic::AtomicU64>,
    /// On a bus shared with other processes: when to check that the log holds
    /// nothing this room has not heard (an event the bus lost for good), and
    /// that the processes whose clients' awareness it relayed are alive.
    next_check: Option<Instant>,
    /// Other processes' awareness clients, by the process they came from.
    remote_clients: ghosts::RemoteClients,
    /// Which other processes are alive.
    liveness: Arc<crate::liveness::Liveness>,
    /// Awareness changes held back until after the content (`presence`).
    presence: presence::Presence,
}

/// How often a room on a bus shared with other processes checks the log.
const LOG_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The first check of a room, if its bus is shared with other processes.
fn bus_check_after(bus: &Arc<dyn Bus>) -> Option<Instant> {
    bus.distributed().then(|| Instant::now() + LOG_CHECK_EVERY)
}

/// Runs the room of `doc` until it is idle past the grace period, shut down, or
/// its storage fails.
///
/// This future lives as long as the room, so it is kept small:
/// - every await but the wait for events is boxed; the future would otherwise
///   reserve room for the largest of them (a batch's commit and flush) while
///   the room waits;
/// - it is one `async` block, which holds what it captures once (an `async fn`
///   keeps its arguments besides the block it awaits).
pub fn run(
    context: RoomContext,
    doc: DocumentId,
    tx: queue::WeakSender<RoomEvent>,
    mut rx: queue::Receiver<RoomEvent>,
) -> impl Future<Output = ()> + Send {
    let span = tracing::info_span!("room", doc = %doc);
    async move {
        // The task's state is boxed here, before the match: the value being
        // matched lives until the match ends, across the failure's await, and
        // the future would keep room for all of the state inline besides.
        let mut task = match Box::pin(RoomTask::load(&context, doc.clone(), tx)).await.map(Box::new) {
            Ok(task) => task,
            Err(err) => {
                tracing::error!(%err, "could not load document");
                context.registry.forget(&doc, &mut rx);
                Box::pin(fail_pending(&mut rx, &err.to_string())).await;
                return;
            }
        };
        let mut idle_since = Some(Instant::now());
        loop {
            // Wake for held awareness, the next automatic version, or eviction when idle.
            let evict_at = idle_since.map(|since| since + task.config.idle_grace);
            let wake =
                [task.auto_version_due(), evict_at, task.next_check, task.presence.due()].into_iter().flatten().min();
            let next = match wake {
                Some(at) => tokio::time::timeout_at(at.into(), rx.recv()).await.ok(),
                None => Some(rx.recv().await),
            };
            let first = match next {
                Some(Some(event)) => event,
                Some(None) => break,
                None => {
                    task.send_due_presence();
                    if task.next_check.is_some_and(|at| at <= Instant::now()) {
                        task.next_check = Some(Instant::now() + LOG_CHECK_EVERY);
                        task.remove_ghosts();
                        if Box::pin(task.log_is_ahead()).await {
                            let resync = reynard_bus::Published {
                                origin: task.process,
                                topic: task.topic.clone(),
                                payload: reynard_bus::Payload::Resync,
                            };
                            if Box::pin(task.handle_batch(vec![RoomEvent::Remote(resync)])).await.is_break() {
                                context.registry.forget(&doc, &mut rx);
                                break;
                            }
                        }
                    }
                    if task.auto_version_due().is_some_and(|due| due <= Instant::now()) {
                        Box::pin(task.auto_version()).await;
                    }
                    if evict_at.is_some_and(|at| at <= Instant::now()) {
                        // Version and compact while still registered, so that a task
                        // that starts after this one loads the finished state.
                        Box::pin(task.auto_version()).await;
                        Box::pin(task.snapshot()).await;
                        if context.registry.try_retire(&doc, &mut rx) {
                            break;
                        }
                        idle_since = Some(Instant::now());
                    }
                    continue;
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            if Box::pin(task.handle_batch(batch)).await.is_break() {
                context.registry.forget(&doc, &mut rx);
                break;
            }
            idle_since = if task.clients.is_empty() { idle_since.or(Some(Instant::now())) } else { None };
        }
        Box::pin(task.snapshot()).await;
        task.unsubscribe();
        // Events that raced with the stop go to the document's next task.
        let mut left = Vec::new();
        while let Some(event) = rx.recv().await {
            if !matches!(event, RoomEvent::Shutdown { .. } | RoomEvent::Remote(_) | RoomEvent::AccessChanged { .. }) {
                left.push(event);
            }
        }
        context.registry.redeliver(doc, left);
        tracing::debug!("room closed");
    }
    .instrument(span)
}

/// Answers everything queued for a room that could not load.
async fn fail_pending(rx: &mut queue::Receiver<RoomEvent>, reason: &str) {
    while let Some(event) = rx.recv().await {
        let err = || HubError::Storage(reason.to_owned());
        match event {
            RoomEvent::Join { joined, .. } => drop(joined.send(Err(err()))),
            RoomEvent::Text { reply } => drop(reply.send(Err(err()))),
            RoomEvent::ReplaceText { reply, .. } => drop(reply.send(Err(err()))),
            RoomEvent::CreateVersion { reply, .. } => drop(reply.send(Err(err()))),
            RoomEvent::Export { reply, .. } => drop(reply.send(Err(err()))),
            RoomEvent::Apply { reply, .. } => drop(reply.send(Err(err()))),
            RoomEvent::Frame { .. }
            | RoomEvent::Leave { .. }
            | RoomEvent::Shutdown { .. }
            | RoomEvent::Remote(_)
            | RoomEvent::AccessChanged { .. } => {}
        }
    }
}
