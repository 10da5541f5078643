//! Implementations of [`reynard_collab::fanout::Fanout`].
//!
//! # Layout
//! - [`InProcessFanout`]: delivers to the subscribers of this process. With one
//!   process there is nobody else to tell, so rooms only hear themselves (and
//!   ignore it); tests run two hubs on one store over one `InProcessFanout` to
//!   exercise the cross-process path.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use reynard_collab::fanout::{Delivery, Fanout, Published, SubscriptionId};
use reynard_proto::DocumentId;

/// Fan-out within one process.
#[derive(Default)]
pub struct InProcessFanout {
    subscribers: Mutex<HashMap<DocumentId, Vec<(SubscriptionId, Delivery)>>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for InProcessFanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let documents = self.subscribers.lock().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("InProcessFanout").field("documents", &documents).finish()
    }
}

impl Fanout for InProcessFanout {
    fn publish(&self, event: Published) {
        // Deliver outside the lock: a delivery may subscribe or unsubscribe.
        let deliveries: Vec<Delivery> = {
            let subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
            subscribers.get(&event.doc).map(|subs| subs.iter().map(|(_, d)| d.clone()).collect()).unwrap_or_default()
        };
        for deliver in deliveries {
            deliver(event.clone());
        }
    }

    fn subscribe(&self, doc: &DocumentId, deliver: Delivery) -> SubscriptionId {
        let id = SubscriptionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.entry(doc.clone()).or_default().push((id, deliver));
        id
    }

    fn has_peers(&self, doc: &DocumentId, subscribed: SubscriptionId) -> bool {
        let subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.get(doc).is_some_and(|subs| subs.iter().any(|(id, _)| *id != subscribed))
    }

    fn unsubscribe(&self, doc: &DocumentId, id: SubscriptionId) {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(subs) = subscribers.get_mut(doc) {
            subs.retain(|(sub, _)| *sub != id);
            if subs.is_empty() {
                subscribers.remove(doc);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use reynard_collab::fanout::{FanoutEvent, ProcessId};

    use super::*;

    #[test]
    fn delivers_to_the_subscribers_of_the_document_until_they_leave() {
        let fanout = InProcessFanout::default();
        let doc = DocumentId::new("d1");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let id = fanout.subscribe(&doc, Arc::new(move |p: Published| sink.lock().unwrap().push(p)));
        let other = seen.clone();
        fanout.subscribe(&DocumentId::new("d2"), Arc::new(move |p: Published| other.lock().unwrap().push(p)));

        let event = Published {
            origin: ProcessId(1),
            doc: doc.clone(),
            event: FanoutEvent::Update { seq: 3, update: Arc::from(&[1u8, 2][..]) },
        };
        fanout.publish(event.clone());
        assert_eq!(*seen.lock().unwrap(), vec![event.clone()], "only d1's subscriber hears d1");
        assert!(!fanout.has_peers(&doc, id), "alone on d1");
        let peer = fanout.subscribe(&doc, Arc::new(|_| {}));
        assert!(fanout.has_peers(&doc, id));
        fanout.unsubscribe(&doc, peer);
        fanout.unsubscribe(&doc, id);
        fanout.publish(event);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }
}
