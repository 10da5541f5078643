//! Who was in which room's call, and when: one row per call socket that
//! joined, closed when the socket ends. Meeting follow-ups read it (who joined
//! and for how long). Failing to record attendance never refuses a call: it
//! is logged.

use reynard_proto::{RoomId, UserId};
use reynard_store::{Store, now_millis};

/// A recorded presence in a call, to be closed when the participant leaves.
#[derive(Debug)]
pub struct Attendance {
    store: Store,
    id: Option<String>,
}

impl Attendance {
    /// Records that `user` joined `room`'s call now.
    pub async fn joined(store: &Store, room: &RoomId, user: &UserId) -> Attendance {
        let id = match store.call_joined(room, user, now_millis()).await {
            Ok(id) => Some(id),
            Err(err) => {
                tracing::warn!(%err, %room, "call attendance not recorded");
                None
            }
        };
        Attendance { store: store.clone(), id }
    }

    /// Records that the participant left now.
    pub async fn left(self) {
        if let Some(id) = self.id
            && let Err(err) = self.store.call_left(&id, now_millis()).await
        {
            tracing::warn!(%err, "end of call attendance not recorded");
        }
    }
}
