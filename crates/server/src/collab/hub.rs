//! The registry of open documents. It starts exactly one room task per document
//! (concurrent first joins share one load) and forgets it when the task stops.
//! It hands each task a [`RoomContext`] and is the task's [`RoomRegistry`]: the
//! hub depends on the room task, never the reverse.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use reynard_bus::{Bus, ProcessId};
use reynard_collab::ConnId;
use reynard_proto::{DocumentId, Role, UserId, WorkspaceId};
use reynard_store::Store;
use tokio::sync::{Semaphore, oneshot};

use reynard_store::history::VersionRecord;

use super::CollabConfig;
use super::events::{Export, HubError, RoomEvent, VersionKind};
use super::queue;
use super::room_task::{self, RoomContext, RoomRegistry};
use crate::liveness::Liveness;
use crate::ws::connections::Connections;
use crate::ws::{ACCESS_REMOVED, Outbox, close_code};

/// How to reach a room task: its event queue, and the bytes of client frames
/// it may hold queued (frames wait for room while it is spent, so a flood of
/// large frames holds the senders back instead of the server's memory).
#[derive(Debug, Clone)]
struct RoomHandle {
    tx: queue::Sender<RoomEvent>,
    queued_bytes: Arc<Semaphore>,
}

/// All documents that are open in this process.
#[derive(Debug)]
pub struct DocHub {
    store: Store,
    config: CollabConfig,
    bus: Arc<dyn Bus>,
    process: ProcessId,
    rooms: Mutex<HashMap<DocumentId, RoomHandle>>,
    /// Live connections by user, session and workspace.
    connections: Arc<Connections>,
    /// Room tasks still running (they finish after their final snapshot).
    running: AtomicUsize,
    stopped: tokio::sync::Notify,
    /// Catch-ups from the log of this process's rooms.
    catch_ups: Arc<std::sync::atomic::AtomicU64>,
    /// Which other processes are alive (their clients' awareness goes when they die).
    liveness: Arc<Liveness>,
}

impl DocHub {
    /// A hub with no open documents, exchanging document events with other
    /// processes through `bus` as `process`, its connections registered in
    /// `connections` (shared with the other live services).
    pub fn new(
        store: Store,
        config: CollabConfig,
        bus: Arc<dyn Bus>,
        process: ProcessId,
        connections: Arc<Connections>,
        liveness: Arc<Liveness>,
    ) -> Arc<DocHub> {
        Arc::new(DocHub {
            store,
            bus,
            process,
            rooms: Mutex::new(HashMap::new()),
            connections,
            running: AtomicUsize::new(0),
            stopped: tokio::sync::Notify::new(),
            catch_ups: Arc::default(),
            liveness,
            config,
        })
    }

    /// How many times this process's rooms caught up from the log (a gap, a
    /// resynchronisation, a check that found the log ahead).
    pub fn catch_ups(&self) -> u64 {
        self.catch_ups.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The live connections of this process.
    pub fn connections(&self) -> &Arc<Connections> {
        &self.connections
    }

    /// The store documents are kept in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The bus to the document's rooms in other processes.
    pub fn bus(&self) -> &Arc<dyn Bus> {
        &self.bus
    }

    /// This process's id on the fan-out.
    pub fn process(&self) -> ProcessId {
        self.process
    }

    /// The settings of live documents.
    pub fn config(&self) -> &CollabConfig {
        &self.config
    }

    /// A fresh connection id.
    pub fn next_conn(&self) -> ConnId {
        self.connections.next_conn()
    }

    /// Room tasks running: one per document in memory (a room finishing its
    /// final snapshot still counts).
    pub fn running_rooms(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DocumentId, RoomHandle>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers `event` to the document's room task, starting the task if the
    /// document is not open. Exactly one task runs per document: it is created
    /// under the registry lock. A task that stops returns undelivered events
    /// through [`DocHub::redeliver`], so no event is lost to a stopping room.
    pub async fn send(self: &Arc<Self>, doc: &DocumentId, mut event: RoomEvent) {
        loop {
            let tx = self.handle(doc).tx;
            match tx.send(event).await {
                Ok(()) => return,
                Err(queue::SendError(returned)) => event = returned,
            }
        }
    }

    /// The document's running room task, started if there is none.
    fn handle(self: &Arc<Self>, doc: &DocumentId) -> RoomHandle {
        let mut rooms = self.lock();
        match rooms.get(doc) {
            Some(handle) if !handle.tx.is_closed() => handle.clone(),
            _ => {
                let (tx, rx) = queue::channel(1024);
                let handle = RoomHandle { tx, queued_bytes: Arc::new(Semaphore::new(self.config.room_queue_bytes)) };
                rooms.insert(doc.clone(), handle.clone());
                let task = room_task::run(self.room_context(), doc.clone(), handle.tx.downgrade(), rx);
                self.running.fetch_add(1, Ordering::SeqCst);
                let hub = self.clone();
                // A combinator, not an `async` block awaiting the task: such a
                // block would hold the task's future twice (as its capture and
                // as what it awaits) for as long as the room is open.
                tokio::spawn(task.map(move |()| {
                    hub.running.fetch_sub(1, Ordering::SeqCst);
                    hub.stopped.notify_waiters();
                }));
                handle
            }
        }
    }

    /// What a room task of this hub works with.
    fn room_context(self: &Arc<Self>) -> RoomContext {
        RoomContext {
            store: self.store.clone(),
            config: self.config.clone(),
            bus: self.bus.clone(),
            process: self.process,
            registry: self.clone(),
            catch_ups: self.catch_ups.clone(),
            liveness: self.liveness.clone(),
        }
    }

    /// Connects a client to a document; completes once the document is loaded
    /// and the client registered (its first messages are queued).
    pub async fn join(
        self: &Arc<Self>,
        doc: &DocumentId,
        conn: ConnId,
        user: UserId,
        can_write: bool,
        outbox: Outbox,
    ) -> Result<(), HubError> {
        let (joined, rx) = oneshot::channel();
        self.send(doc, RoomEvent::Join { conn, user, can_write, outbox, joined }).await;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// Passes a frame a client sent. The frame's bytes count against the
    /// room's queue budget until the room has handled it.
    ///
    /// The common case — the room runs and has room in its queue and budget —
    /// is done when this returns `None`. Otherwise the frame waits in the
    /// returned future, and the connection must await it before it reads
    /// again (so a spent budget stops the connection reading). The wait is
    /// boxed: the future every connection holds while it reads stays small.
    pub fn frame<'a>(
        self: &'a Arc<Self>,
        doc: &'a DocumentId,
        conn: ConnId,
        data: bytes::Bytes,
    ) -> Option<Pin<Box<dyn Future<Output = ()> + Send + 'a>>> {
        // The common case takes the budget and queues the frame under the
        // registry lock, cloning nothing but the budget's handle.
        let queued = {
            let rooms = self.lock();
            match rooms.get(doc).filter(|handle| !handle.tx.is_closed()) {
                Some(handle) => {
                    match handle.queued_bytes.clone().try_acquire_many_owned(permit_count(&data, &self.config)) {
                        Ok(queued) => match handle.tx.try_send(RoomEvent::Frame { conn, data, queued }) {
                            Ok(()) => return None,
                            Err(queue::TrySendError::Full(event) | queue::TrySendError::Closed(event)) => Err(event),
                        },
                        Err(_) => Ok(data),
                    }
                }
                None => Ok(data),
            }
        };
        match queued {
            Ok(data) => Some(Box::pin(self.frame_waiting(doc, conn, data))),
            // The queue is full (or the room stopping): wait for room in it.
            Err(event) => Some(Box::pin(self.send(doc, event))),
        }
    }

    /// [`frame`](Self::frame) when the room is not running or its budget is spent.
    async fn frame_waiting(self: &Arc<Self>, doc: &DocumentId, conn: ConnId, data: bytes::Bytes) {
        let budget = self.handle(doc).queued_bytes;
        // The budget's semaphore is never closed.
        let Ok(permit) = budget.acquire_many_owned(permit_count(&data, &self.config)).await else { return };
        self.send(doc, RoomEvent::Frame { conn, data, queued: permit }).await;
    }

    /// Disconnects a client.
    pub async fn leave(self: &Arc<Self>, doc: &DocumentId, conn: ConnId) {
        self.send(doc, RoomEvent::Leave { conn }).await;
    }

    /// The document's text (the `Y.Text` named `monaco`).
    pub async fn text(self: &Arc<Self>, doc: &DocumentId) -> Result<String, HubError> {
        let (reply, rx) = oneshot::channel();
        self.send(doc, RoomEvent::Text { reply }).await;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// Replaces the document's text with a minimal edit, applied as a normal
    /// update: logged, then sent to every client. Returns whether it changed.
    pub async fn replace_text(
        self: &Arc<Self>,
        doc: &DocumentId,
        text: String,
        user: UserId,
    ) -> Result<bool, HubError> {
        let (reply, rx) = oneshot::channel();
        self.send(doc, RoomEvent::ReplaceText { text, user, reply }).await;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// Records a version of the document as it is now (`None`: an automatic
    /// version found nothing new).
    pub async fn create_version(
        self: &Arc<Self>,
        doc: &DocumentId,
        kind: VersionKind,
        name: Option<String>,
    ) -> Result<Option<VersionRecord>, HubError> {
        let (reply, rx) = oneshot::channel();
        self.send(doc, RoomEvent::CreateVersion { kind, name, reply }).await;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// The document beyond `since` (a state vector), or all of it, with its
    /// state vector and log position.
    pub async fn export(self: &Arc<Self>, doc: &DocumentId, since: Option<Vec<u8>>) -> Result<Export, HubError> {
        let (reply, rx) = oneshot::channel();
        self.send(doc, RoomEvent::Export { since, reply }).await;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// Applies an update made elsewhere as a normal, logged and broadcast update.
    pub async fn apply(self: &Arc<Self>, doc: &DocumentId, update: Vec<u8>, user: UserId) -> Result<bool, HubError> {
        let (reply, rx) = oneshot::channel();
        self.send(doc, RoomEvent::Apply { update, user, reply }).await;
        rx.await.map_err(|_| HubError::Stopped)?
    }

    /// Applies a change of `user`'s role in `workspace` (`None`: removed) to their
    /// live connections: viewers lose write access at once, editors gain it,
    /// removed members are disconnected.
    pub async fn access_changed(self: &Arc<Self>, workspace: &WorkspaceId, user: &UserId, role: Option<Role>) {
        if role.is_none() {
            // Also those not yet joined to their room.
            self.connections.close_member(workspace, user, close_code::POLICY, ACCESS_REMOVED);
        }
        let rooms: Vec<_> = self.lock().values().map(|handle| handle.tx.clone()).collect();
        for tx in rooms {
            let event = RoomEvent::AccessChanged { workspace: workspace.clone(), user: user.clone(), role };
            let _ = tx.send(event).await;
        }
    }

    /// [`access_changed`](Self::access_changed) for one document's room only.
    pub async fn access_changed_in(
        self: &Arc<Self>,
        doc: &DocumentId,
        workspace: &WorkspaceId,
        user: &UserId,
        role: Option<Role>,
    ) {
        let event = RoomEvent::AccessChanged { workspace: workspace.clone(), user: user.clone(), role };
        self.send(doc, event).await;
    }

    /// Closes every connection of a deleted document and drops it from memory.
    pub async fn close_document(self: &Arc<Self>, doc: &DocumentId) {
        let tx = self.lock().get(doc).map(|handle| handle.tx.clone());
        if let Some(tx) = tx {
            let _ = tx.send(RoomEvent::Shutdown { code: close_code::GOING_AWAY, reason: "document deleted" }).await;
        }
    }

    /// Closes every connection to the documents of a deleted workspace (1001)
    /// and drops those documents from memory.
    pub async fn close_workspace(self: &Arc<Self>, workspace: &WorkspaceId, documents: &[DocumentId]) {
        self.connections.close_workspace(workspace, close_code::GOING_AWAY, "workspace deleted");
        for doc in documents {
            self.close_document(doc).await;
        }
    }

    /// Asks every room to write its snapshot and stop (server shutdown); waits
    /// until every room task has finished.
    pub async fn shutdown(self: &Arc<Self>) {
        let senders: Vec<_> = self.lock().values().map(|handle| handle.tx.clone()).collect();
        for tx in &senders {
            let _ = tx.send(RoomEvent::Shutdown { code: close_code::GOING_AWAY, reason: "server shutting down" }).await;
        }
        loop {
            let stopped = self.stopped.notified();
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            stopped.await;
        }
    }
}

impl RoomRegistry for DocHub {
    fn try_retire(&self, doc: &DocumentId, rx: &mut queue::Receiver<RoomEvent>) -> bool {
        let mut rooms = self.lock();
        if !rx.is_empty() {
            return false;
        }
        rx.close();
        rooms.remove(doc);
        true
    }

    fn forget(&self, doc: &DocumentId, rx: &mut queue::Receiver<RoomEvent>) {
        let mut rooms = self.lock();
        rx.close();
        if rooms.get(doc).is_some_and(|handle| handle.tx.is_closed()) {
            rooms.remove(doc);
        }
    }

    fn redeliver(self: Arc<Self>, doc: DocumentId, events: Vec<RoomEvent>) {
        if events.is_empty() {
            return;
        }
        tokio::spawn(async move {
            for event in events {
                self.send(&doc, event).await;
            }
        });
    }
}

/// The permits a frame takes from its room's queue budget: its size, but at
/// most the whole budget (which is at least the largest frame allowed).
fn permit_count(data: &[u8], config: &CollabConfig) -> u32 {
    u32::try_from(data.len().clamp(1, config.room_queue_bytes)).unwrap_or(u32::MAX)
}
