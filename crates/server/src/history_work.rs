//! The CPU-heavy work of version history — line diffs and version rebuilds —
//! run on blocking threads, at most one job per core at a time in each queue.
//! A flood of diff requests then waits here instead of stalling the async
//! workers (which serve every connection) or piling up blocking threads; and
//! rooms have a queue of their own, so that such a flood never holds up a
//! room's versions (a room waits for its job, and edits wait for the room).

use std::sync::LazyLock;

use tokio::sync::Semaphore;

/// Who the work is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// HTTP requests (diffs, version texts, branch forks).
    Requests,
    /// Room tasks (the counts of a new version).
    Rooms,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

static REQUESTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));
static ROOMS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

/// Why a history job gave no answer.
#[derive(Debug, thiserror::Error)]
#[error("a history job failed: {0}")]
pub struct JobFailed(String);

/// Runs `job` on a blocking thread once `queue` has a free slot, and waits for its answer.
pub async fn run<T: Send + 'static>(queue: Queue, job: impl FnOnce() -> T + Send + 'static) -> Result<T, JobFailed> {
    let slots = match queue {
        Queue::Requests => &REQUESTS,
        Queue::Rooms => &ROOMS,
    };
    let _slot = slots.acquire().await.map_err(|e| JobFailed(e.to_string()))?;
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
        let slots = cores();
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs: Vec<_> = (0..slots * 3)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(run(Queue::Requests, move || {
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
        assert!(run(Queue::Requests, || panic!("a failing job")).await.is_err(), "a panic is an error, not a crash");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_requests_does_not_hold_up_rooms() {
        let release = Arc::new(std::sync::Barrier::new(cores() + 1));
        let busy: Vec<_> = (0..cores())
            .map(|_| {
                let release = release.clone();
                tokio::spawn(run(Queue::Requests, move || {
                    release.wait();
                }))
            })
            .collect();
        while REQUESTS.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let room = tokio::time::timeout(Duration::from_secs(5), run(Queue::Rooms, || 7)).await;
        assert_eq!(room.expect("a room's job runs while requests fill their queue").unwrap(), 7);
        tokio::task::spawn_blocking(move || release.wait()).await.unwrap();
        for job in busy {
            job.await.unwrap().unwrap();
        }
    }
}
