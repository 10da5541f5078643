//! Which other processes of a scaled-out deployment are alive: every process
//! says so on the bus's control topic every few seconds (`control.rs`), and
//! whatever a process publishes there counts. A process silent for
//! [`DEAD_AFTER`] is taken for dead: document rooms then remove the awareness
//! states (cursors, presence) of its clients, which would otherwise stay as
//! ghosts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reynard_bus::ProcessId;

/// How often a process says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// How long a process may stay silent before it is taken for dead.
pub const DEAD_AFTER: Duration = Duration::from_secs(15);

/// When each other process was last heard.
#[derive(Debug)]
pub struct Liveness {
    heard: Mutex<HashMap<ProcessId, Instant>>,
    started: Instant,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness { heard: Mutex::default(), started: Instant::now() }
    }
}

impl Liveness {
    /// When this process started listening (a process never heard since is
    /// counted from then).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// `process` spoke now.
    pub fn heard(&self, process: ProcessId) {
        self.lock().insert(process, Instant::now());
    }

    /// Whether `process` has been silent for [`DEAD_AFTER`], counting from
    /// `known_since` (when its first sign reached the asker) if it was never
    /// heard on the control topic.
    pub fn is_dead(&self, process: ProcessId, known_since: Instant) -> bool {
        let last = self.lock().get(&process).copied().map_or(known_since, |heard| heard.max(known_since));
        last.elapsed() >= DEAD_AFTER
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ProcessId, Instant>> {
        self.heard.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_dead_once_silent_long_enough() {
        let liveness = Liveness::default();
        let now = Instant::now();
        assert!(!liveness.is_dead(ProcessId(1), now), "just met");
        let long_ago = now.checked_sub(DEAD_AFTER * 2).unwrap();
        assert!(liveness.is_dead(ProcessId(1), long_ago), "met long ago, never heard since");
        liveness.heard(ProcessId(1));
        assert!(!liveness.is_dead(ProcessId(1), long_ago), "heard just now");
    }
}
