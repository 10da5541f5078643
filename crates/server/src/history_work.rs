//! The CPU-heavy work of version history — line diffs and version rebuilds —
//! run on blocking threads, at most one job per core at a time. A flood of diff
//! requests then queues here instead of stalling the async workers (which serve
//! every connection) or piling up blocking threads.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

/// Jobs running at once: one per core.
static SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get)));

/// Why a history job gave no answer.
#[derive(Debug, thiserror::Error)]
#[error("a history job failed: {0}")]
pub struct JobFailed(String);

/// Runs `job` on a blocking thread once a slot is free, and waits for its answer.
pub async fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T, JobFailed> {
    let _slot = SLOTS.acquire().await.map_err(|e| JobFailed(e.to_string()))?;
    tokio::task::spawn_blocking(job).await.map_err(|e| JobFailed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_jobs_run_at_once_than_there_are_slots() {
        let slots = SLOTS.available_permits();
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs: Vec<_> = (0..slots * 3)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= slots, "{} > {slots}", most.load(Ordering::SeqCst));
        assert!(run(|| panic!("a failing job")).await.is_err(), "a panic is an error, not a crash");
    }
}
