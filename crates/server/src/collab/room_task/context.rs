//! What a room task needs from its surroundings ([`RoomContext`]): the store,
//! the settings, the bus with this process's id on it, and the registry it
//! leaves when it stops ([`RoomRegistry`], implemented by the hub). Handing the
//! task this narrow context instead of the hub keeps the dependency one way:
//! the hub starts room tasks; a room task never names the hub.

use std::fmt::Debug;
use std::sync::Arc;

use crate::collab::queue;
use reynard_bus::{Bus, ProcessId};
use reynard_proto::DocumentId;
use reynard_store::Store;

use crate::collab::CollabConfig;
use crate::collab::events::RoomEvent;

/// The registry of running room tasks, as a room task sees it: the way out.
pub trait RoomRegistry: Debug + Send + Sync {
    /// Called by a room task with no clients and an empty queue: removes it from
    /// the registry and closes its queue. Returns false if an event arrived
    /// meanwhile (the task goes on).
    fn try_retire(&self, doc: &DocumentId, rx: &mut queue::Receiver<RoomEvent>) -> bool;

    /// Removes a stopping room task from the registry and closes its queue.
    fn forget(&self, doc: &DocumentId, rx: &mut queue::Receiver<RoomEvent>);

    /// Hands events that reached a stopped room task to the document's next task.
    fn redeliver(self: Arc<Self>, doc: DocumentId, events: Vec<RoomEvent>);
}

/// Everything a room task uses besides its own document.
#[derive(Debug, Clone)]
pub struct RoomContext {
    /// Where the document's log, snapshots and versions are kept.
    pub store: Store,
    /// The settings of live documents.
    pub config: CollabConfig,
    /// The bus to the document's rooms in other processes.
    pub bus: Arc<dyn Bus>,
    /// This process's id on the bus (its own events are skipped).
    pub process: ProcessId,
    /// The registry the task leaves when it stops.
    pub registry: Arc<dyn RoomRegistry>,
    /// Catch-ups from the log of every room of this process (for `/metrics`).
    pub catch_ups: Arc<std::sync::atomic::AtomicU64>,
    /// Which other processes are alive.
    pub liveness: Arc<crate::liveness::Liveness>,
}
