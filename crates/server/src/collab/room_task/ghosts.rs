//! Awareness states (cursors, presence) that this room's clients hold of
//! clients connected to other processes, by the process they came from: when
//! such a process dies without saying goodbye, its clients' states would stay
//! as ghosts; the room removes them from its clients (a `null` state at a
//! higher clock, which y-protocols accepts) once the process has been silent
//! for `liveness::DEAD_AFTER`.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use reynard_bus::ProcessId;
use reynard_collab::awareness::{AwarenessEntry, decode_awareness_update, encode_awareness_update};
use reynard_collab::protocol::encode_awareness;
use reynard_collab::{Message, decode_frame};

use crate::liveness::Liveness;

/// A client of another process, as last heard.
#[derive(Debug, Clone, Copy)]
struct RemoteClient {
    process: ProcessId,
    clock: u64,
    /// When its process first showed up here (for processes never heard on the control topic).
    since: Instant,
}

/// The awareness clients of other processes that this room relayed.
#[derive(Debug, Default)]
pub(super) struct RemoteClients(HashMap<u64, RemoteClient>);

impl RemoteClients {
    /// Notes the entries of an awareness message relayed from `process`.
    pub(super) fn relayed(&mut self, process: ProcessId, message: &[u8]) {
        let Ok(messages) = decode_frame(message) else { return };
        for message in messages {
            let Message::Awareness(payload) = message else { continue };
            let Ok(entries) = decode_awareness_update(payload) else { continue };
            for entry in entries {
                if entry.is_removal() {
                    self.0.remove(&entry.client_id);
                } else {
                    let since = self.0.get(&entry.client_id).filter(|c| c.process == process).map(|c| c.since);
                    self.0.insert(
                        entry.client_id,
                        RemoteClient { process, clock: entry.clock, since: since.unwrap_or_else(Instant::now) },
                    );
                }
            }
        }
    }

    /// The removal of every client whose process is dead, as one awareness
    /// message (`None` when there is none); they are forgotten.
    pub(super) fn remove_ghosts(&mut self, liveness: &Liveness) -> Option<Bytes> {
        let dead: Vec<(u64, u64)> = self
            .0
            .iter()
            .filter(|(_, client)| liveness.is_dead(client.process, client.since))
            .map(|(id, client)| (*id, client.clock))
            .collect();
        if dead.is_empty() {
            return None;
        }
        for (id, _) in &dead {
            self.0.remove(id);
        }
        tracing::info!(clients = dead.len(), "removed the awareness of clients of a process that went silent");
        let payload = encode_awareness_update(dead.iter().map(|(client_id, clock)| AwarenessEntry {
            client_id: *client_id,
            clock: clock + 1,
            state: "null",
        }));
        Some(Bytes::from(encode_awareness(&payload)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_message(client_id: u64, clock: u64, state: &str) -> Vec<u8> {
        encode_awareness(&encode_awareness_update([AwarenessEntry { client_id, clock, state }]))
    }

    #[test]
    fn clients_of_a_silent_process_are_removed_once() {
        let liveness = Liveness::default();
        let mut remote = RemoteClients::default();
        remote.relayed(ProcessId(7), &state_message(42, 3, r#"{"user":"a"}"#));
        remote.relayed(ProcessId(8), &state_message(43, 1, r#"{"user":"b"}"#));
        remote.relayed(ProcessId(8), &state_message(43, 2, "null"));
        assert!(remote.remove_ghosts(&liveness).is_none(), "just heard");
        // Pretend process 7 showed up long ago and was never heard since.
        remote.0.get_mut(&42).unwrap().since = Instant::now().checked_sub(crate::liveness::DEAD_AFTER * 2).unwrap();
        let removal = remote.remove_ghosts(&liveness).expect("a removal");
        let Message::Awareness(payload) = decode_frame(&removal).unwrap().remove(0) else { panic!("awareness") };
        let entries = decode_awareness_update(payload).unwrap();
        assert_eq!(entries, [AwarenessEntry { client_id: 42, clock: 4, state: "null" }]);
        assert!(remote.remove_ghosts(&liveness).is_none(), "forgotten");
    }
}
