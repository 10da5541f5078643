//! The bounded pool every password hash (sign-up) and verification (login)
//! runs on. One argon2id run takes 19 MiB and a core for tens of milliseconds,
//! so at most one per core runs at once: 512 sign-ups at once use at most
//! cores × 19 MiB. Each hasher keeps its working memory between runs
//! ([`HashingMemory`]), so that is also all the memory hashing ever holds. A
//! request that finds no free hasher within a short wait is answered 429
//! `busy` (`Retry-After: 1`) instead of queueing without bound.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reynard_auth::HashingMemory;
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};
use crate::metrics::Metrics;

/// A fixed number of password hashers shared by every request.
#[derive(Debug)]
pub struct PasswordHashers {
    permits: Arc<Semaphore>,
    /// Working memory of the hashers that are not running (made on first use).
    memory: Arc<Mutex<Vec<HashingMemory>>>,
    wait: Duration,
    metrics: Arc<Metrics>,
}

impl PasswordHashers {
    /// `size` hashers (at least one); a request waits at most `wait` for one.
    pub fn new(size: usize, wait: Duration, metrics: Arc<Metrics>) -> Self {
        Self { permits: Arc::new(Semaphore::new(size.max(1))), memory: Arc::default(), wait, metrics }
    }

    /// Runs `work` (a hash or a verification) on a blocking thread once a
    /// hasher is free. The hasher stays taken until `work` ends, even if the
    /// request that asked for it is dropped meanwhile.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut HashingMemory) -> T + Send + 'static,
    ) -> ApiResult<T> {
        let permit = match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(closed)) => return Err(ApiError::internal(closed)),
            Err(_elapsed) => {
                self.metrics.password_hash_refused();
                return Err(ApiError::busy());
            }
        };
        let (metrics, pool) = (self.metrics.clone(), self.memory.clone());
        tokio::task::spawn_blocking(move || {
            // A permit guarantees a free hasher, so the pool never holds more than `size`.
            let mut memory = pool.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
            metrics.password_hash_started();
            let result = work(&mut memory);
            metrics.password_hash_finished();
            pool.lock().unwrap_or_else(|e| e.into_inner()).push(memory);
            drop(permit);
            result
        })
        .await
        .map_err(ApiError::internal)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn never_runs_more_than_its_size_and_refuses_past_the_wait() {
        let metrics = Arc::new(Metrics::default());
        let hashers = Arc::new(PasswordHashers::new(2, Duration::from_secs(30), metrics.clone()));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (hashers, running, peak) = (hashers.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    hashers
                        .run(move |_memory| {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert!(metrics.render().contains("reynard_password_hashes_peak 2"));

        let impatient = Arc::new(PasswordHashers::new(1, Duration::from_millis(10), metrics.clone()));
        let slow = {
            let impatient = impatient.clone();
            tokio::spawn(async move { impatient.run(|_| std::thread::sleep(Duration::from_millis(300))).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let refused = impatient.run(|_| ()).await.unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        slow.await.unwrap().unwrap();
        assert!(metrics.render().contains("reynard_password_hashes_refused_total 1"));
    }
}
