//! The send queue of one connection. The room pushes frames (shared bytes, never
//! re-encoded per client) through an [`Outbox`]; the connection's task takes them
//! from its [`Inbox`] and writes them to the socket.
//!
//! One small allocation per connection: idle connections are most of a busy
//! server, and a pair of channels cost more than everything else an idle
//! connection holds. The queue is bounded in frames and in bytes: a connection
//! whose queue is full reads too slowly and is closed (it resyncs when it
//! reconnects).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use super::close_code;
use crate::wake::Wake;

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the connection's task (the one consumer) when a frame or a close
    /// is queued.
    ready: Wake,
    capacity: usize,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<Bytes>,
    /// The bytes of `frames`.
    bytes: usize,
    /// Set once: how the connection closes. Boxed, as few connections are
    /// closing at any time and every connection holds this state.
    closing: Option<Box<Closing>>,
}

/// How a connection closes.
#[derive(Debug)]
struct Closing {
    code: u16,
    reason: String,
    /// Only once the frames queued before the close are written.
    after_frames: bool,
}

impl State {
    /// Whether the connection closes now (queued frames are not written).
    fn is_closed(&self) -> bool {
        self.closing.as_ref().is_some_and(|closing| !closing.after_frames)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The room's end of a connection's queue. Dropping it closes the connection
/// (with 1001) unless it was closed with another code before.
#[derive(Debug)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The connection's end of its queue.
#[derive(Debug)]
pub struct Inbox {
    shared: Arc<Shared>,
}

/// A handle that can close a connection from outside its room (its access
/// ended) without holding it open: dropping it does nothing.
#[derive(Debug, Clone)]
pub struct Closer {
    shared: Arc<Shared>,
}

impl Closer {
    /// Closes the connection as [`Outbox::close`] does.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        close_shared(&self.shared, code, reason.into());
    }
}

/// The queue had no room for a frame: its connection reads too slowly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// What the connection should do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Write this frame.
    Frame(Bytes),
    /// Send a close frame with this code and reason, then stop.
    Close(u16, String),
    /// Nothing queued.
    Empty,
}

/// A queue holding at most `capacity` frames and `max_bytes` bytes (a frame of
/// any size is let into an empty queue).
pub fn queue(capacity: usize, max_bytes: usize) -> (Outbox, Inbox) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        ready: Wake::new(),
        capacity: capacity.max(1),
        max_bytes,
    });
    (Outbox { shared: shared.clone() }, Inbox { shared })
}

impl Outbox {
    /// Queues a frame. A closed queue drops it silently (the connection is going).
    pub fn push(&self, frame: Bytes) -> Result<(), Full> {
        {
            let mut state = self.shared.lock();
            if state.is_closed() {
                return Ok(());
            }
            let too_many_bytes =
                !state.frames.is_empty() && state.bytes.saturating_add(frame.len()) > self.shared.max_bytes;
            if state.frames.len() >= self.shared.capacity || too_many_bytes {
                return Err(Full);
            }
            state.bytes += frame.len();
            state.frames.push_back(frame);
        }
        self.shared.ready.wake();
        Ok(())
    }

    /// Closes the connection with `code` and `reason`; frames still queued are
    /// dropped. Only the first close counts.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        close_shared(&self.shared, code, reason.into());
    }

    /// Closes the connection after what is queued now has been written (a
    /// last word: why a call ended for it).
    pub fn close_when_written(&self, code: u16, reason: impl Into<String>) {
        {
            let mut state = self.shared.lock();
            if state.closing.is_some() {
                return;
            }
            state.closing = Some(Box::new(Closing { code, reason: reason.into(), after_frames: true }));
        }
        self.shared.ready.wake();
    }

    /// A handle that closes this connection from elsewhere.
    pub fn closer(&self) -> Closer {
        Closer { shared: self.shared.clone() }
    }
}

fn close_shared(shared: &Shared, code: u16, reason: String) {
    {
        let mut state = shared.lock();
        // A close already decided wins, a graceful one included (its last
        // frames are still written).
        if state.closing.is_some() {
            return;
        }
        state.closing = Some(Box::new(Closing { code, reason, after_frames: false }));
        state.frames = VecDeque::new();
        state.bytes = 0;
    }
    shared.ready.wake();
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.close(close_code::GOING_AWAY, "closing");
    }
}

impl Inbox {
    /// The next thing to do: a close comes before any frame still queued.
    pub fn next(&self) -> Next {
        let mut state = self.shared.lock();
        if let Some(closing) = state.closing.as_ref().filter(|closing| !closing.after_frames) {
            return Next::Close(closing.code, closing.reason.clone());
        }
        match state.frames.pop_front() {
            Some(frame) => {
                state.bytes -= frame.len();
                Next::Frame(frame)
            }
            None => {
                if let Some(closing) = state.closing.as_mut() {
                    // The frames before a graceful close are written: close now.
                    closing.after_frames = false;
                    return Next::Close(closing.code, closing.reason.clone());
                }
                // A drained queue keeps no buffer: most connections are idle
                // most of the time, and a burst allocates one again, once.
                if state.frames.capacity() > 0 {
                    state.frames = VecDeque::new();
                }
                Next::Empty
            }
        }
    }

    /// Whether the room closed the connection.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().is_closed()
    }

    /// Waits until something was queued since the last wait (returns at once if
    /// something was queued meanwhile). A pointer's worth of future: every idle
    /// connection's task holds one.
    pub fn ready(&self) -> impl Future<Output = ()> + Send + '_ {
        self.shared.ready.wait()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_graceful_close_comes_after_the_queued_frames_even_when_the_outbox_goes() {
        let (outbox, inbox) = queue(16, usize::MAX);
        outbox.push(Bytes::from_static(b"left")).unwrap();
        outbox.close_when_written(1000, "left the call");
        drop(outbox);
        inbox.ready().await;
        assert_eq!(inbox.next(), Next::Frame(Bytes::from_static(b"left")));
        assert_eq!(inbox.next(), Next::Close(1000, "left the call".to_owned()));
        assert_eq!(inbox.next(), Next::Close(1000, "left the call".to_owned()));
    }

    #[tokio::test]
    async fn frames_come_out_in_order_and_a_full_queue_refuses() {
        let (outbox, inbox) = queue(2, usize::MAX);
        outbox.push(Bytes::from_static(b"a")).unwrap();
        outbox.push(Bytes::from_static(b"b")).unwrap();
        assert_eq!(outbox.push(Bytes::from_static(b"c")), Err(Full));
        inbox.ready().await;
        assert_eq!(inbox.next(), Next::Frame(Bytes::from_static(b"a")));
        assert_eq!(inbox.next(), Next::Frame(Bytes::from_static(b"b")));
        assert_eq!(inbox.next(), Next::Empty);
        outbox.push(Bytes::from_static(b"c")).unwrap();
        assert_eq!(inbox.next(), Next::Frame(Bytes::from_static(b"c")));
    }

    #[tokio::test]
    async fn a_queue_is_bounded_in_bytes_but_takes_any_frame_when_empty() {
        let (outbox, inbox) = queue(1024, 10);
        outbox.push(Bytes::from_static(b"0123456789abcdef")).unwrap();
        assert_eq!(outbox.push(Bytes::from_static(b"x")), Err(Full));
        assert_eq!(inbox.next(), Next::Frame(Bytes::from_static(b"0123456789abcdef")));
        outbox.push(Bytes::from_static(b"01234")).unwrap();
        outbox.push(Bytes::from_static(b"56789")).unwrap();
        assert_eq!(outbox.push(Bytes::from_static(b"a")), Err(Full));
        assert_eq!(inbox.next(), Next::Frame(Bytes::from_static(b"01234")));
        outbox.push(Bytes::from_static(b"abcde")).unwrap();
    }

    #[tokio::test]
    async fn a_close_overtakes_queued_frames_and_the_first_close_wins() {
        let (outbox, inbox) = queue(8, usize::MAX);
        outbox.push(Bytes::from_static(b"a")).unwrap();
        outbox.close(close_code::TRY_AGAIN_LATER, "too slow");
        outbox.close(close_code::POLICY, "later");
        assert!(inbox.is_closed());
        assert_eq!(outbox.push(Bytes::from_static(b"b")), Ok(()), "a closed queue drops frames");
        inbox.ready().await;
        assert_eq!(inbox.next(), Next::Close(close_code::TRY_AGAIN_LATER, "too slow".to_owned()));
        assert_eq!(inbox.next(), Next::Close(close_code::TRY_AGAIN_LATER, "too slow".to_owned()));
    }

    #[tokio::test]
    async fn dropping_the_outbox_closes_the_connection() {
        let (outbox, inbox) = queue(8, usize::MAX);
        drop(outbox);
        inbox.ready().await;
        assert_eq!(inbox.next(), Next::Close(close_code::GOING_AWAY, "closing".to_owned()));
    }

    #[tokio::test]
    async fn a_drained_queue_gives_back_a_burst_of_capacity() {
        let (outbox, inbox) = queue(1024, usize::MAX);
        for _ in 0..500 {
            outbox.push(Bytes::from_static(b"x")).unwrap();
        }
        while inbox.next() != Next::Empty {}
        assert_eq!(inbox.shared.lock().frames.capacity(), 0);
    }
}
