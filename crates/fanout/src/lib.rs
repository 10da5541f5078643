//! Transports of the [`reynard_bus::Bus`].
//!
//! # Layout
//! - [`InProcessFanout`]: delivers to the subscribers of this process. With one
//!   process there is nobody else to tell, so services only hear themselves;
//!   tests run two servers on one store over one `InProcessFanout` to exercise
//!   the cross-process path.
//! - [`RedisFanout`] (`redis_fanout`): the bus across processes, over Redis
//!   pub/sub, with resynchronisation when events may have been missed.

mod redis_fanout;

pub use redis_fanout::RedisFanout;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use reynard_bus::{Bus, Delivery, Published, SubscriptionId, Topic};

/// Fan-out within one process.
#[derive(Default)]
pub struct InProcessFanout {
    subscribers: Mutex<HashMap<Topic, Vec<(SubscriptionId, Delivery)>>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for InProcessFanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let topics = self.subscribers.lock().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("InProcessFanout").field("topics", &topics).finish()
    }
}

impl Bus for InProcessFanout {
    fn publish(&self, event: Published) {
        // Deliver outside the lock: a delivery may subscribe or unsubscribe.
        let deliveries: Vec<Delivery> = {
            let subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
            subscribers.get(&event.topic).map(|subs| subs.iter().map(|(_, d)| d.clone()).collect()).unwrap_or_default()
        };
        for deliver in deliveries {
            deliver(event.clone());
        }
    }

    fn subscribe(&self, topic: &Topic, deliver: Delivery) -> SubscriptionId {
        let id = SubscriptionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.entry(topic.clone()).or_default().push((id, deliver));
        id
    }

    fn has_peers(&self, topic: &Topic, subscribed: SubscriptionId) -> bool {
        let subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.get(topic).is_some_and(|subs| subs.iter().any(|(id, _)| *id != subscribed))
    }

    fn unsubscribe(&self, topic: &Topic, id: SubscriptionId) {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(subs) = subscribers.get_mut(topic) {
            subs.retain(|(sub, _)| *sub != id);
            if subs.is_empty() {
                subscribers.remove(topic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use reynard_bus::{Payload, ProcessId};
    use reynard_proto::{DocumentId, WorkspaceId};

    use super::*;

    #[test]
    fn delivers_to_the_subscribers_of_the_topic_until_they_leave() {
        let fanout = InProcessFanout::default();
        let doc = Topic::Document(DocumentId::new("d1"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let id = fanout.subscribe(&doc, Arc::new(move |p: Published| sink.lock().unwrap().push(p)));
        let other = seen.clone();
        fanout.subscribe(
            &Topic::Document(DocumentId::new("d2")),
            Arc::new(move |p: Published| other.lock().unwrap().push(p)),
        );

        let event = Published {
            origin: ProcessId(1),
            topic: doc.clone(),
            payload: Payload::Update { seq: 3, update: Arc::from(&[1u8, 2][..]) },
        };
        fanout.publish(event.clone());
        assert_eq!(*seen.lock().unwrap(), vec![event.clone()], "only d1's subscriber hears d1");
        fanout.subscribe(&Topic::Workspace(WorkspaceId::new("d1")), Arc::new(|_| {}));
        assert!(!fanout.has_peers(&doc, id), "alone on d1: a workspace of the same id is another topic");
        let peer = fanout.subscribe(&doc, Arc::new(|_| {}));
        assert!(fanout.has_peers(&doc, id));
        fanout.unsubscribe(&doc, peer);
        fanout.unsubscribe(&doc, id);
        fanout.publish(event);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }
}
