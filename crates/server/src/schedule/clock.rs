//! The clock the scheduling loop reads: the system's, or a manual one that
//! tests set and advance (reminders and follow-ups are then deterministic).

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// Where "now" comes from. Cheap to clone; clones of a manual clock share it.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A time set by hand.
    Manual(Arc<Mutex<Timestamp>>),
}

impl Clock {
    /// A manual clock standing at `at`.
    pub fn manual(at: Timestamp) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Manual(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Sets a manual clock; the system clock cannot be set (a no-op).
    pub fn set(&self, to: Timestamp) {
        if let Clock::Manual(at) = self {
            *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
        }
    }

    /// Moves a manual clock on by `by`.
    pub fn advance(&self, by: SignedDuration) {
        let next = self.now().checked_add(by).unwrap_or(Timestamp::MAX);
        self.set(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_of_a_manual_clock_share_its_time() {
        let start: Timestamp = "2026-10-20T09:00:00Z".parse().unwrap();
        let clock = Clock::manual(start);
        let other = clock.clone();
        other.advance(SignedDuration::from_mins(5));
        assert_eq!(clock.now(), "2026-10-20T09:05:00Z".parse::<Timestamp>().unwrap());
        Clock::System.set(start);
        assert!(Clock::System.now() > start);
    }
}
