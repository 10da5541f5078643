//! The cross-process seam: rooms publish accepted updates (with their log
//! sequence number) and awareness messages through a [`Fanout`], and receive
//! those of the same document's rooms in other processes.
//!
//! A fan-out is a fast path, not the source of truth: a room that sees a gap in
//! sequence numbers (or a conflict when appending) catches up from the log.

use std::fmt;
use std::sync::Arc;

use reynard_proto::DocumentId;

/// Identifies one server process on the fan-out (random per process).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProcessId(pub u64);

/// What a room publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FanoutEvent {
    /// A durable update: log entry `seq` of the document (v1 encoding).
    Update { seq: i64, update: Arc<[u8]> },
    /// An awareness message (type 1, ready to send to clients).
    Awareness { message: Arc<[u8]> },
}

/// One published event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The process whose room published it (rooms ignore their own).
    pub origin: ProcessId,
    pub doc: DocumentId,
    pub event: FanoutEvent,
}

/// A callback receiving the events of one document. It must not block: rooms
/// queue the event and return.
pub type Delivery = Arc<dyn Fn(Published) + Send + Sync>;

/// Identifies a subscription, to end it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubscriptionId(pub u64);

/// Carries document events between the processes serving the same documents.
pub trait Fanout: Send + Sync + fmt::Debug {
    /// Sends an event to every subscriber of its document (best effort).
    fn publish(&self, event: Published);
    /// Calls `deliver` for every event published for `doc` from now on.
    fn subscribe(&self, doc: &DocumentId, deliver: Delivery) -> SubscriptionId;
    /// Ends a subscription.
    fn unsubscribe(&self, doc: &DocumentId, id: SubscriptionId);
    /// Whether anyone besides `subscribed` (the asking room's own subscription)
    /// may hear `doc`'s events; when not, the room skips publishing them.
    fn has_peers(&self, doc: &DocumentId, subscribed: SubscriptionId) -> bool;
}
