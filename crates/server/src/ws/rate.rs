//! The message rate of one connection: a token bucket checked on every frame
//! read, so a client cannot make the server work faster than its limit.

use std::time::Instant;

/// A token bucket: `rate` messages per second sustained, bursts up to 4×.
#[derive(Debug)]
pub struct MessageRate {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl MessageRate {
    /// A full bucket for `per_second` messages a second.
    pub fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        Self { rate, burst: rate * 4.0, tokens: rate * 4.0, last: Instant::now() }
    }

    /// Takes a token if there is one.
    pub fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
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
}
