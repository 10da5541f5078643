//! The bus every real-time service publishes on and listens to: documents,
//! each workspace's chat, typing and presence, and the control events every
//! process acts on (access changes, sign-outs). Each event is published on a
//! [`Topic`]; every process serving that topic hears it, so the services of
//! several processes act as one. The transports (in-process, Redis) live in
//! `reynard-fanout`; services only see [`Bus`].
//!
//! A bus is a fast path, not the source of truth: documents number their
//! updates and catch up from the log on a gap; chat is stored before it is
//! published.

use std::fmt;
use std::sync::Arc;

use reynard_proto::{DocumentId, WorkspaceId};

/// Identifies one server process on the bus (random per process).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessId(pub u64);

/// What an event is about: the subscribers of a topic hear its events.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// A document's updates and awareness.
    Document(DocumentId),
    /// What every tab of a workspace hears: chat in all its rooms (each tab
    /// counts unread messages everywhere), typing, presence, the room list.
    Workspace(WorkspaceId),
    /// What every process acts on: access changes, sign-outs, deleted
    /// workspaces (JSON), so that access ends on every process at once.
    Control,
    /// What is addressed to one process: call signaling relayed between the
    /// process a participant is connected to and the one serving the call.
    Process(ProcessId),
}

/// What is published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A durable document update: log entry `seq` of the document (v1 encoding).
    Update { seq: i64, update: Arc<[u8]> },
    /// A y-protocols awareness message, ready to send to clients.
    Awareness { message: Arc<[u8]> },
    /// A JSON message, ready to send to the live clients of the topic.
    Json(Arc<str>),
    /// Not published by services: the transport tells its subscribers that
    /// events may have been lost (its connection dropped and came back), so
    /// that they catch up from the store.
    Resync,
}

/// One published event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The process that published it (subscribers may ignore their own).
    pub origin: ProcessId,
    pub topic: Topic,
    pub payload: Payload,
}

/// A callback receiving the events of one topic. It must not block:
/// subscribers queue the event and return.
pub type Delivery = Arc<dyn Fn(Published) + Send + Sync>;

/// Identifies a subscription, to end it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubscriptionId(pub u64);

/// Carries events between the services, in this process and in others.
pub trait Bus: Send + Sync + fmt::Debug {
    /// Sends an event to every subscriber of its topic (best effort).
    fn publish(&self, event: Published);
    /// Calls `deliver` for every event published on `topic` from now on.
    fn subscribe(&self, topic: &Topic, deliver: Delivery) -> SubscriptionId;
    /// Ends a subscription.
    fn unsubscribe(&self, topic: &Topic, id: SubscriptionId);
    /// Whether anyone besides `subscribed` (the asker's own subscription) may
    /// hear `topic`'s events; when not, the asker may skip publishing them.
    fn has_peers(&self, topic: &Topic, subscribed: SubscriptionId) -> bool;
    /// Whether other processes may publish on this bus (then subscribers check
    /// the store now and then for what the bus lost).
    fn distributed(&self) -> bool {
        false
    }
    /// Counters of the transport, for `/metrics`.
    fn stats(&self) -> BusStats {
        BusStats::default()
    }
}

/// What a transport has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BusStats {
    /// Whether the transport reaches the other processes now (always for in-process).
    pub connected: bool,
    /// How many times the connection to the other processes came back.
    pub reconnects: u64,
    /// Events sent to other processes, and those heard from them.
    pub sent: u64,
    pub received: u64,
    /// Sum of the delays (publish to delivery here) of the events heard, in seconds.
    pub lag_seconds_sum: f64,
    /// The longest of those delays.
    pub lag_seconds_max: f64,
}
