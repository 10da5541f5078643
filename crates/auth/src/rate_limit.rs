//! A keyed sliding-window rate limiter for login attempts (per IP, per account).
//!
//! Time is passed in by the caller, so the limiter is deterministic under test.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `limit` events per `window` for each key.
#[derive(Debug)]
pub struct RateLimiter<K> {
    limit: usize,
    window: Duration,
    events: Mutex<HashMap<K, VecDeque<Instant>>>,
}

/// The key is over its limit; the next event is allowed after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after: Duration,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// A limiter allowing `limit` events per `window` per key (`limit` ≥ 1).
    pub fn new(limit: usize, window: Duration) -> Self {
        Self { limit: limit.max(1), window, events: Mutex::new(HashMap::new()) }
    }

    /// Whether `key` may act now, without recording anything.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), RateLimited> {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let Some(queue) = events.get_mut(key) else {
            return Ok(());
        };
        self.expire(queue, now);
        if queue.len() < self.limit {
            return Ok(());
        }
        let oldest = queue.front().copied().unwrap_or(now);
        let retry_after = (oldest + self.window).saturating_duration_since(now);
        Err(RateLimited { retry_after: retry_after.max(Duration::from_secs(1)) })
    }

    /// Records one event for `key` at `now`.
    pub fn record(&self, key: K, now: Instant) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if events.len() > 100_000 {
            // Bound memory under a flood of distinct keys: drop keys whose window passed.
            let window = self.window;
            events.retain(|_, q| q.back().is_some_and(|last| now.saturating_duration_since(*last) < window));
        }
        let queue = events.entry(key).or_default();
        self.expire(queue, now);
        queue.push_back(now);
        while queue.len() > self.limit {
            queue.pop_front();
        }
    }

    /// Forgets `key` (after a successful login, its failures no longer count).
    pub fn reset(&self, key: &K) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    fn expire(&self, queue: &mut VecDeque<Instant>, now: Instant) {
        while queue.front().is_some_and(|t| now.saturating_duration_since(*t) >= self.window) {
            queue.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_recovers_after_the_window() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        limiter.record("a", t0);
        limiter.record("a", t0 + Duration::from_secs(10));
        let limited = limiter.check(&"a", t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(limited.retry_after, Duration::from_secs(40));
        assert!(limiter.check(&"b", t0).is_ok(), "keys are independent");
        assert!(limiter.check(&"a", t0 + Duration::from_secs(61)).is_ok(), "window slides");
        limiter.reset(&"a");
        assert!(limiter.check(&"a", t0 + Duration::from_secs(20)).is_ok());
    }
}
