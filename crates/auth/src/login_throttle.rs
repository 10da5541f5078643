//! Per-account login throttle: a progressive delay instead of a lockout.
//!
//! The first `free_failures` failed logins of an account cost nothing; after
//! that each attempt must wait, since the previous one, a delay that doubles
//! with every further failure (`base_delay`, 2×, 4×… capped at `max_delay`).
//! An attacker gets a trickle of guesses while the owner, who knows the
//! password, gets in after at most `max_delay`; a successful login clears the
//! account's failures. Failures are forgotten `forget_after` the last one.
//!
//! An attempt counts as a failure from the moment it is let through
//! ([`LoginThrottle::begin`]), before the password is checked, so concurrent
//! attempts cannot slip past the limit together; a success then clears it.
//! Time is passed in by the caller, so the throttle is deterministic under test.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::rate_limit::RateLimited;

/// Accounts remembered before an attempt drops those whose failures were
/// forgotten, between periodic prunes.
const PRUNE_ABOVE: usize = 100_000;

/// When failed logins start to slow an account down, and by how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failed attempts allowed without any delay.
    pub free_failures: u32,
    /// The delay after the first failure past the free ones; it doubles with each further one.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// Failures are forgotten this long after the last one.
    pub forget_after: Duration,
}

impl ThrottlePolicy {
    /// How long an attempt must wait after the last one once `failures` are recorded.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let Some(past_free) = failures.checked_sub(self.free_failures) else {
            return Duration::ZERO;
        };
        let factor = 1u32.checked_shl(past_free).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failed logins per account and the delay they impose.
#[derive(Debug)]
pub struct LoginThrottle<K> {
    policy: ThrottlePolicy,
    accounts: Mutex<HashMap<K, Failures>>,
    /// The account count at which an attempt prunes: doubled past what a
    /// prune kept, so that many live accounts cost amortized O(1) per attempt.
    prune_above: AtomicUsize,
}

impl<K: Eq + Hash + Clone> LoginThrottle<K> {
    /// A throttle applying `policy`.
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self { policy, accounts: Mutex::new(HashMap::new()), prune_above: AtomicUsize::new(PRUNE_ABOVE) }
    }

    /// Lets an attempt on `key` through, counting it as a failure right away,
    /// or says how long to wait. A refused attempt changes nothing.
    pub fn begin(&self, key: &K, now: Instant) -> Result<(), RateLimited> {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if accounts.len() >= self.prune_above.load(Ordering::Relaxed) {
            self.forget_old(&mut accounts, now);
        }
        let failures = match accounts.get_mut(key) {
            Some(failures) if now.saturating_duration_since(failures.last) < self.policy.forget_after => failures,
            _ => {
                accounts.insert(key.clone(), Failures { count: 1, last: now });
                return Ok(());
            }
        };
        let ready_at = failures.last + self.policy.delay_after(failures.count);
        if now < ready_at {
            return Err(RateLimited { retry_after: ready_at - now });
        }
        failures.count = failures.count.saturating_add(1);
        failures.last = now;
        Ok(())
    }

    /// The attempt let through by [`begin`](Self::begin) had the right
    /// password: the account's failures are cleared.
    pub fn succeeded(&self, key: &K) {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    /// Failures recorded for `key` and not yet forgotten.
    pub fn failures(&self, key: &K, now: Instant) -> u32 {
        let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        accounts
            .get(key)
            .filter(|f| now.saturating_duration_since(f.last) < self.policy.forget_after)
            .map_or(0, |f| f.count)
    }

    /// Drops accounts whose failures are forgotten (call it periodically).
    pub fn prune(&self, now: Instant) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        self.forget_old(&mut accounts, now);
    }

    /// How many accounts are remembered.
    pub fn len(&self) -> usize {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no account is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn forget_old(&self, accounts: &mut HashMap<K, Failures>, now: Instant) {
        let keep = self.policy.forget_after;
        accounts.retain(|_, f| now.saturating_duration_since(f.last) < keep);
        accounts.shrink_to_fit();
        self.prune_above.store(PRUNE_ABOVE.max(2 * accounts.len()), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy {
        free_failures: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(30),
        forget_after: Duration::from_secs(15 * 60),
    };

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn delays_double_past_the_free_failures_up_to_the_cap() {
        let delays: Vec<u64> = (0..12).map(|f| POLICY.delay_after(f).as_secs()).collect();
        assert_eq!(delays, [0, 0, 0, 1, 2, 4, 8, 16, 30, 30, 30, 30]);
        assert_eq!(POLICY.delay_after(u32::MAX), secs(30));
    }

    #[test]
    fn attempts_past_the_free_ones_wait_an_increasing_delay() {
        let throttle = LoginThrottle::new(POLICY);
        let t0 = Instant::now();
        for _ in 0..3 {
            throttle.begin(&"ada", t0).unwrap();
        }
        assert_eq!(throttle.begin(&"ada", t0).unwrap_err().retry_after, secs(1));
        assert!(throttle.begin(&"bob", t0).is_ok(), "accounts are independent");
        throttle.begin(&"ada", t0 + secs(1)).unwrap();
        assert_eq!(throttle.begin(&"ada", t0 + secs(2)).unwrap_err().retry_after, secs(1));
        throttle.begin(&"ada", t0 + secs(3)).unwrap();
        assert_eq!(throttle.begin(&"ada", t0 + secs(3)).unwrap_err().retry_after, secs(4));
        assert_eq!(throttle.failures(&"ada", t0 + secs(3)), 5);
    }

    #[test]
    fn an_attacker_cannot_lock_the_owner_out_for_long() {
        let throttle = LoginThrottle::new(POLICY);
        let t0 = Instant::now();
        // Ten wrong passwords as fast as the throttle lets them through, and a
        // flood of refused attempts in between.
        let mut now = t0;
        while throttle.failures(&"ada", now) < 10 {
            if let Err(limited) = throttle.begin(&"ada", now) {
                now += limited.retry_after;
            }
            for _ in 0..50 {
                let _ = throttle.begin(&"ada", now);
            }
        }
        // 1 + 2 + 4 + 8 + 16 + 30 + 30 s for the seven guesses past the free three.
        assert_eq!(now - t0, secs(91));
        // The owner waits at most the longest delay, then gets in.
        let wait = throttle.begin(&"ada", now).unwrap_err().retry_after;
        assert!(wait <= POLICY.max_delay, "{wait:?}");
        throttle.begin(&"ada", now + wait).unwrap();
        throttle.succeeded(&"ada");
        assert_eq!(throttle.failures(&"ada", now + wait), 0);
        assert!(throttle.begin(&"ada", now + wait).is_ok(), "a success resets the delay");
    }

    #[test]
    fn failures_are_forgotten_and_pruned() {
        let throttle = LoginThrottle::new(POLICY);
        let t0 = Instant::now();
        for _ in 0..10 {
            let _ = throttle.begin(&"ada", t0);
        }
        let later = t0 + POLICY.forget_after;
        assert!(throttle.begin(&"ada", later).is_ok());
        assert_eq!(throttle.failures(&"ada", later), 1);
        throttle.begin(&"bob", t0).unwrap();
        throttle.prune(later);
        assert_eq!(throttle.len(), 1, "bob's old failure is dropped, ada's fresh one kept");
    }

    #[test]
    fn concurrent_attempts_cannot_pass_the_free_failures_together() {
        let throttle = LoginThrottle::new(POLICY);
        let now = Instant::now();
        let passed: usize = std::thread::scope(|scope| {
            let handles: Vec<_> =
                (0..30).map(|_| scope.spawn(|| usize::from(throttle.begin(&"ada", now).is_ok()))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(passed, 3);
    }
}
