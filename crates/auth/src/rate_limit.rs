//! Keyed rate limits (login attempts and sign-ups per client address) on
//! `governor`'s GCRA: `limit` events per `period` for each key, refilled
//! evenly, with a burst of `limit`.
//!
//! The clock is a type parameter, so tests drive time with
//! [`governor::clock::FakeRelativeClock`].

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter as Gcra};

pub use governor::clock::FakeRelativeClock;

/// Keys remembered before a check prunes on its own, between periodic prunes.
const PRUNE_ABOVE: usize = 100_000;

/// At most `limit` events per `period` for each key.
pub struct RateLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    gcra: Gcra<K, HashMapStateStore<K>, C, NoOpMiddleware<C::Instant>>,
    /// The key count at which a check prunes: doubled past what a prune kept,
    /// so that a flood of live keys costs amortized O(1) per check.
    prune_above: AtomicUsize,
}

impl<K: Hash + Eq + Clone, C: Clock> std::fmt::Debug for RateLimiter<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("keys", &self.gcra.len()).finish_non_exhaustive()
    }
}

/// The key is over its limit; the next event is allowed after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after: Duration,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter allowing `limit` events per `period` per key, on the real clock.
    pub fn new(limit: u32, period: Duration) -> Self {
        Self::with_clock(limit, period, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock> RateLimiter<K, C> {
    /// A limiter on `clock` (`limit` ≥ 1 and `period` > 0 are enforced).
    pub fn with_clock(limit: u32, period: Duration, clock: C) -> Self {
        let limit = NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN);
        let refill = (period / limit.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(refill).expect("refill period is positive").allow_burst(limit);
        Self { gcra: Gcra::new(quota, HashMapStateStore::default(), clock), prune_above: AtomicUsize::new(PRUNE_ABOVE) }
    }

    /// Takes one event for `key` if it is under its limit. The check and the
    /// count are one atomic step, so concurrent callers cannot pass together
    /// past the limit.
    pub fn check(&self, key: &K) -> Result<(), RateLimited> {
        if self.gcra.len() >= self.prune_above.load(Ordering::Relaxed) {
            self.prune();
        }
        self.gcra.check_key(key).map(|_| ()).map_err(|not_until| {
            let retry_after = not_until.wait_time_from(self.gcra.clock().now());
            RateLimited { retry_after: retry_after.max(Duration::from_secs(1)) }
        })
    }

    /// Forgets keys whose state is back to that of a fresh key, so that a
    /// flood of distinct keys does not keep memory (call it periodically).
    pub fn prune(&self) {
        self.gcra.retain_recent();
        self.gcra.shrink_to_fit();
        self.prune_above.store(PRUNE_ABOVE.max(2 * self.gcra.len()), Ordering::Relaxed);
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.gcra.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.gcra.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_refills_over_the_period() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(2, Duration::from_secs(60), clock.clone());
        assert!(limiter.check(&"a").is_ok());
        clock.advance(Duration::from_secs(10));
        assert!(limiter.check(&"a").is_ok());
        let limited = limiter.check(&"a").unwrap_err();
        // One event comes back every 30 s; the first was spent 10 s ago.
        assert_eq!(limited.retry_after, Duration::from_secs(20));
        assert!(limiter.check(&"b").is_ok(), "keys are independent");
        clock.advance(Duration::from_secs(20));
        assert!(limiter.check(&"a").is_ok(), "one event refilled");
        assert!(limiter.check(&"a").is_err());
    }

    #[test]
    fn a_refused_event_does_not_count() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(1, Duration::from_secs(10), clock.clone());
        assert!(limiter.check(&1).is_ok());
        for _ in 0..100 {
            assert!(limiter.check(&1).is_err());
        }
        clock.advance(Duration::from_secs(10));
        assert!(limiter.check(&1).is_ok(), "hammering while limited does not extend the wait");
    }

    #[test]
    fn pruning_forgets_keys_that_recovered() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(3, Duration::from_secs(60), clock.clone());
        for key in 0..1000 {
            limiter.check(&key).unwrap();
        }
        assert_eq!(limiter.len(), 1000);
        limiter.prune();
        assert_eq!(limiter.len(), 1000, "keys still inside their period are kept");
        // A key is fresh again one refill (20 s) after its last event was paid back.
        clock.advance(Duration::from_secs(39));
        limiter.prune();
        assert_eq!(limiter.len(), 1000);
        clock.advance(Duration::from_secs(1));
        limiter.prune();
        assert!(limiter.is_empty(), "{} keys left", limiter.len());
    }

    #[test]
    fn a_flood_of_keys_is_pruned_without_waiting_for_the_periodic_prune() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(1, Duration::from_secs(1), clock.clone());
        for key in 0..PRUNE_ABOVE as u64 {
            limiter.check(&key).unwrap();
        }
        clock.advance(Duration::from_secs(2));
        limiter.check(&u64::MAX).unwrap();
        assert_eq!(limiter.len(), 1, "the old keys went with the check that found too many");
    }

    #[test]
    fn concurrent_checks_never_pass_more_than_the_limit() {
        let limiter = std::sync::Arc::new(RateLimiter::new(5, Duration::from_secs(3600)));
        let passed: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..32)
                .map(|_| {
                    let limiter = limiter.clone();
                    scope.spawn(move || usize::from(limiter.check(&"ip").is_ok()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(passed, 5);
    }
}
