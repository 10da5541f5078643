//! [`Wake`]: how a queue with one consumer wakes the task that drains it.
//!
//! The send queue of a connection and the event queue of a room each have one
//! consumer, which waits on them for most of its life, so the wait is kept
//! to a flag and a waker: the future is a pointer (tokio's `Notify` supports
//! many waiters and its future takes 80 bytes).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// A wake-up for one waiting task. A wake while nobody waits is kept for the
/// next wait; several wakes before a wait count as one.
#[derive(Debug, Default)]
pub struct Wake {
    pending: AtomicBool,
    waker: AtomicWaker,
}

impl Wake {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakes the waiting task, or the next wait.
    pub fn wake(&self) {
        self.pending.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Ready once woken since the last wait that returned; takes the wake.
    /// Only one task may wait at a time.
    pub fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.pending.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // A wake between the look and the registration found no waker.
        if self.pending.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// [`poll_wait`](Self::poll_wait) as a future.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        std::future::poll_fn(|cx| self.poll_wait(cx))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_wake_before_the_wait_is_kept_and_several_count_once() {
        let wake = Wake::new();
        wake.wake();
        wake.wake();
        wake.wait().await;
        assert!(tokio::time::timeout(Duration::from_millis(20), wake.wait()).await.is_err());
    }

    #[tokio::test]
    async fn a_waiting_task_is_woken_from_another_thread() {
        let wake = Arc::new(Wake::new());
        let waiting = tokio::spawn({
            let wake = wake.clone();
            async move { wake.wait().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        std::thread::spawn({
            let wake = wake.clone();
            move || wake.wake()
        })
        .join()
        .unwrap();
        tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
    }
}
