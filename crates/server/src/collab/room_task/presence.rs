//! Presence trails content: the awareness changes of a room's own clients
//! (cursors, selections, who is here) are held for
//! [`CollabConfig::presence_delay`](crate::collab::CollabConfig) after the
//! first of them, then sent as one merged message — the newest state of each
//! client — to everyone in the room and to the room's peers on the bus.
//!
//! Why hold them: a writer sends an update and its new cursor together. Sent
//! in the same flush, every client receives and handles both before the next
//! client gets either, so the last client of a large room sees the edit only
//! after all the others have also handled the cursor (and, with the
//! y-websocket provider, sent it back). Held, the edit reaches every client
//! first; the cursor follows, pointing at text the client already has. A
//! typist's cursor moves within the delay are merged into one message, which
//! every client would otherwise receive and echo one by one.
//!
//! Awareness is never stored, so holding it changes nothing of durability.
//! Direct replies (a joiner's view of everyone) are not held, nor is awareness
//! relayed from other processes (it was held in the process it came from).

use std::time::{Duration, Instant};

use bytes::Bytes;
use reynard_bus::Payload;
use reynard_collab::ConnId;

use super::RoomTask;

/// Awareness messages, and their bytes, held at most before they are sent
/// early: bound what a room holds between two sends whatever its clients send
/// (one message may carry 64 states of 64 KB).
const MAX_HELD: usize = 256;
const MAX_HELD_BYTES: usize = 1024 * 1024;

/// A room's awareness changes not sent yet.
#[derive(Debug, Default)]
pub(super) struct Presence {
    held: Vec<Vec<u8>>,
    held_bytes: usize,
    /// When the held changes are sent: the delay after the first of them.
    due: Option<Instant>,
}

impl Presence {
    /// When the held changes are due, if any are held.
    pub(super) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// Holds `messages`; whether they are due now (no delay, a delay that
    /// passed, or too many held).
    fn hold(&mut self, messages: Vec<Vec<u8>>, delay: Duration) -> bool {
        if !messages.is_empty() {
            self.held_bytes += messages.iter().map(Vec::len).sum::<usize>();
            self.held.extend(messages);
            self.due.get_or_insert_with(|| Instant::now() + delay);
        }
        let full = self.held.len() >= MAX_HELD || self.held_bytes >= MAX_HELD_BYTES;
        self.due.is_some_and(|due| delay.is_zero() || full || due <= Instant::now())
    }

    /// The held changes, merged, leaving none.
    fn take(&mut self) -> Vec<Vec<u8>> {
        self.due = None;
        self.held_bytes = 0;
        reynard_collab::merge_awareness_messages(&std::mem::take(&mut self.held))
    }
}

impl RoomTask {
    /// Flush: holds the batch's awareness changes, and sends what is held if
    /// it is due.
    pub(super) fn hold_presence(&mut self, awareness: Vec<Vec<u8>>, closing: &mut Vec<(ConnId, u16, String)>) {
        if self.presence.hold(awareness, self.config.presence_delay) {
            self.send_presence(closing);
        }
    }

    /// The wait for events ended at the held changes' due time: sends them,
    /// and closes the clients found too slow to take them.
    pub(super) fn send_due_presence(&mut self) {
        if self.presence.due().is_some_and(|due| due <= Instant::now()) {
            let mut closing = Vec::new();
            self.send_presence(&mut closing);
            self.close_connections(closing);
        }
    }

    fn send_presence(&mut self, closing: &mut Vec<(ConnId, u16, String)>) {
        for message in self.presence.take() {
            let message = Bytes::from(message);
            self.broadcast(&message, closing);
            if self.has_peers() {
                self.publish(Payload::Awareness { message: std::sync::Arc::from(message.as_ref()) });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(30);

    #[test]
    fn nothing_held_is_never_due() {
        let mut presence = Presence::default();
        assert!(!presence.hold(Vec::new(), DELAY));
        assert!(!presence.hold(Vec::new(), Duration::ZERO));
        assert_eq!(presence.due(), None);
    }

    #[test]
    fn changes_wait_for_the_delay_after_the_first() {
        let mut presence = Presence::default();
        let before = Instant::now();
        assert!(!presence.hold(vec![vec![1]], DELAY));
        let due = presence.due().expect("due once something is held");
        assert!(due >= before + DELAY);
        // A later change does not push the first one's due time back.
        assert!(!presence.hold(vec![vec![2]], DELAY));
        assert_eq!(presence.due(), Some(due));
        std::thread::sleep(DELAY);
        assert!(presence.hold(Vec::new(), DELAY));
    }

    #[test]
    fn no_delay_sends_at_once() {
        let mut presence = Presence::default();
        assert!(presence.hold(vec![vec![1]], Duration::ZERO));
    }

    #[test]
    fn too_many_held_are_due_early() {
        let mut presence = Presence::default();
        for i in 0..MAX_HELD - 1 {
            assert!(!presence.hold(vec![vec![i as u8]], Duration::from_secs(60)));
        }
        assert!(presence.hold(vec![vec![0]], Duration::from_secs(60)));
        presence.take();
        assert!(!presence.hold(vec![vec![0; MAX_HELD_BYTES / 2]], Duration::from_secs(60)));
        assert!(presence.hold(vec![vec![0; MAX_HELD_BYTES / 2]], Duration::from_secs(60)), "a megabyte held is due");
    }

    #[test]
    fn taking_merges_and_empties() {
        use reynard_collab::awareness::{AwarenessEntry, encode_awareness_update};
        use reynard_collab::protocol::encode_awareness;
        let update = |clock: u64, state: &str| {
            encode_awareness(&encode_awareness_update([AwarenessEntry { client_id: 7, clock, state }]))
        };
        let mut presence = Presence::default();
        presence.hold(vec![update(1, r#"{"a":1}"#), update(2, r#"{"a":2}"#)], DELAY);
        assert_eq!(presence.take(), vec![update(2, r#"{"a":2}"#)]);
        assert_eq!(presence.due(), None);
        assert!(presence.take().is_empty());
    }
}
