//! The message rate of one connection: a token bucket checked on every frame
//! read, so a client cannot make the server work faster than its limit.

use std::time::Instant;

/// A token bucket: `per_second` messages per second sustained, bursts up to 4×.
///
/// Every connection holds one for its whole life, so it is kept to 24 bytes:
/// the burst is derived from the rate, and the tokens are kept as `f32`
/// (to within half a token for a bucket under 4 million, i.e. a limit under a
/// million messages a second; above that the bucket only errs towards letting
/// messages pass).
#[derive(Debug)]
pub struct MessageRate {
    per_second: u32,
    tokens: f32,
    last: Instant,
}

impl MessageRate {
    /// A full bucket for `per_second` messages a second.
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        Self { per_second, tokens: burst(per_second) as f32, last: Instant::now() }
    }

    /// Takes a token if there is one.
    pub fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * f64::from(self.per_second);
        let mut tokens = (f64::from(self.tokens) + refill).min(burst(self.per_second));
        self.last = now;
        let allowed = tokens >= 1.0;
        if allowed {
            tokens -= 1.0;
        }
        self.tokens = tokens as f32;
        allowed
    }
}

/// The bucket's size: four seconds' worth.
fn burst(per_second: u32) -> f64 {
    f64::from(per_second) * 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_four_seconds_passes_then_the_bucket_is_empty() {
        let mut rate = MessageRate::new(10);
        let passed = (0..100).filter(|_| rate.allow()).count();
        assert!((40..=41).contains(&passed), "{passed} passed");
    }

    #[test]
    fn the_bucket_refills_at_the_rate() {
        let mut rate = MessageRate::new(1000);
        while rate.allow() {}
        let emptied = Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let passed = (0..1000).filter(|_| rate.allow()).count();
        // One token a millisecond: as many as the milliseconds that passed,
        // however long the sleep really took on a busy machine.
        let elapsed_ms = emptied.elapsed().as_millis() as usize;
        assert!(passed >= 19, "{passed} passed after at least 20 ms at 1000/s");
        assert!(passed <= elapsed_ms + 2, "{passed} passed after {elapsed_ms} ms at 1000/s");
    }

    #[test]
    fn it_stays_small() {
        assert!(std::mem::size_of::<MessageRate>() <= 24);
    }
}
