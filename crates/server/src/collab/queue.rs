//! The event queue of a document's room: a bounded multi-producer,
//! single-consumer channel that holds no memory while it is empty.
//!
//! A room waits on its queue for most of its life, and a server keeps many
//! rooms open. tokio's `mpsc` keeps blocks of 32 slots allocated for as long as
//! the channel lives (about 5 KB for the room's event type, half the memory of
//! an idle room of ten clients); this queue is a `VecDeque` that gives its
//! buffer back whenever the room has drained it.
//!
//! The interface is the part of `tokio::sync::mpsc` the hub and the room task
//! use, with the same meaning: `send` waits for capacity, the channel closes
//! when the receiver closes it (or goes) or when the last sender goes, and the
//! receiver drains what was queued before it sees the end.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, ready};

use tokio::sync::{Semaphore, TryAcquireError};

use crate::wake::Wake;

/// Buffer capacity a drained queue keeps; a burst's larger buffer is freed.
const RETAINED_CAPACITY: usize = 4;

struct Shared<T> {
    state: Mutex<State<T>>,
    /// One permit per free slot; closed with the channel.
    slots: Semaphore,
    /// Wakes the receiver when an event is queued, the channel closes or the
    /// last sender goes.
    ready: Wake,
    senders: AtomicUsize,
}

struct State<T> {
    events: VecDeque<T>,
    closed: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn close(&self) {
        self.lock().closed = true;
        self.slots.close();
        self.ready.wake();
    }
}

/// A bounded queue holding at most `capacity` events.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State { events: VecDeque::new(), closed: false }),
        slots: Semaphore::new(capacity.max(1)),
        ready: Wake::new(),
        senders: AtomicUsize::new(1),
    });
    (Sender { shared: shared.clone() }, Receiver { shared })
}

/// The channel is closed; the event comes back.
#[derive(Debug, PartialEq, Eq)]
pub struct SendError<T>(pub T);

/// Why [`Sender::try_send`] gave the event back.
#[derive(Debug, PartialEq, Eq)]
pub enum TrySendError<T> {
    Full(T),
    Closed(T),
}

/// Nothing to take now ([`Receiver::try_recv`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Empty;

/// The sending end; clones share the queue. The channel closes when the last
/// one goes (weak senders do not count).
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A sender that does not keep the channel open.
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving end. Dropping it closes the channel.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Queues `event`, waiting while the queue is full; gives it back if the
    /// channel is closed.
    pub async fn send(&self, event: T) -> Result<(), SendError<T>> {
        match self.shared.slots.acquire().await {
            Ok(slot) => slot.forget(),
            Err(_) => return Err(SendError(event)),
        }
        self.push(event).map_err(SendError)
    }

    /// Queues `event` if there is room now.
    pub fn try_send(&self, event: T) -> Result<(), TrySendError<T>> {
        match self.shared.slots.try_acquire() {
            Ok(slot) => slot.forget(),
            Err(TryAcquireError::NoPermits) => return Err(TrySendError::Full(event)),
            Err(TryAcquireError::Closed) => return Err(TrySendError::Closed(event)),
        }
        self.push(event).map_err(TrySendError::Closed)
    }

    /// Pushes an event whose slot was taken.
    fn push(&self, event: T) -> Result<(), T> {
        {
            let mut state = self.shared.lock();
            if state.closed {
                return Err(event);
            }
            state.events.push_back(event);
        }
        self.shared.ready.wake();
        Ok(())
    }

    /// Whether the receiver closed the channel (or went).
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    /// A sender that does not keep the channel open.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender { shared: self.shared.clone() }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.ready.wake();
        }
    }
}

impl<T> WeakSender<T> {
    /// A sender, if some sender still keeps the channel open.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let mut count = self.shared.senders.load(Ordering::Acquire);
        loop {
            if count == 0 {
                return None;
            }
            match self.shared.senders.compare_exchange_weak(count, count + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(Sender { shared: self.shared.clone() }),
                Err(now) => count = now,
            }
        }
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender { shared: self.shared.clone() }
    }
}

impl<T> Receiver<T> {
    /// The next event; `None` once the channel is closed (or every sender
    /// went) and what was queued before has been taken.
    ///
    /// Cancel-safe: an event is taken only when this returns it. The future
    /// is a pointer: a room holds it for as long as it waits.
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + Send + '_
    where
        T: Send,
    {
        std::future::poll_fn(move |cx| {
            loop {
                match self.take() {
                    Ok(event) => return Poll::Ready(Some(event)),
                    Err(true) => return Poll::Ready(None),
                    Err(false) => ready!(self.shared.ready.poll_wait(cx)),
                }
            }
        })
    }

    /// The next event if one is queued.
    pub fn try_recv(&mut self) -> Result<T, Empty> {
        self.take().map_err(|_| Empty)
    }

    /// The next event, or whether the channel has ended.
    fn take(&mut self) -> Result<T, bool> {
        let mut state = self.shared.lock();
        match state.events.pop_front() {
            Some(event) => {
                if state.events.is_empty() && state.events.capacity() > RETAINED_CAPACITY {
                    state.events.shrink_to(RETAINED_CAPACITY);
                }
                drop(state);
                self.shared.slots.add_permits(1);
                Ok(event)
            }
            None => Err(state.closed || self.shared.senders.load(Ordering::Acquire) == 0),
        }
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.shared.lock().events.is_empty()
    }

    /// Closes the channel: sends fail from now on (waiting ones too), and
    /// [`recv`](Self::recv) returns what was queued, then `None`.
    pub fn close(&mut self) {
        self.shared.close();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.close();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn events_arrive_in_order_and_the_buffer_is_freed_once_drained() {
        let (tx, mut rx) = channel(64);
        for i in 0..40 {
            tx.send(i).await.unwrap();
        }
        for i in 0..40 {
            assert_eq!(rx.recv().await, Some(i));
        }
        assert!(rx.shared.lock().events.capacity() <= RETAINED_CAPACITY);
        assert_eq!(rx.try_recv(), Err(Empty));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_try_send_and_makes_send_wait_for_a_slot() {
        let (tx, mut rx) = channel(2);
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(3).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        assert_eq!(rx.recv().await, Some(1));
        waiting.await.unwrap().unwrap();
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, Some(3));
    }

    #[tokio::test]
    async fn closing_fails_sends_waiting_or_new_and_drains_what_was_queued() {
        let (tx, mut rx) = channel(1);
        tx.send(1).await.unwrap();
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(2).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        rx.close();
        assert_eq!(waiting.await.unwrap(), Err(SendError(2)));
        assert!(tx.is_closed());
        assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn the_channel_ends_when_the_last_sender_goes_and_weak_senders_do_not_hold_it() {
        let (tx, mut rx) = channel(8);
        let weak = tx.downgrade();
        let second = weak.upgrade().unwrap();
        drop(tx);
        second.send(7).await.unwrap();
        let receiving = tokio::spawn(async move { (rx.recv().await, rx.recv().await) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(second);
        assert_eq!(receiving.await.unwrap(), (Some(7), None));
        assert!(weak.upgrade().is_none());
    }

    #[tokio::test]
    async fn a_dropped_receiver_closes_the_channel() {
        let (tx, rx) = channel::<u8>(8);
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(1).await, Err(SendError(1)));
    }

    #[tokio::test]
    async fn a_cancelled_receive_loses_nothing() {
        let (tx, mut rx) = channel(8);
        assert!(tokio::time::timeout(Duration::from_millis(10), rx.recv()).await.is_err());
        tx.send(5).await.unwrap();
        assert_eq!(rx.recv().await, Some(5));
    }
}
