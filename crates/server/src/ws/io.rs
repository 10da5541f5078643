//! Writing a connection's queue to its socket, and closing it. Shared by every
//! live endpoint; each says whether its frames are binary (y-websocket) or text
//! (JSON).

use std::time::Duration;

use bytes::Bytes;

use super::handshake::Socket;
use super::outbox::{Inbox, Next};

/// Most queued frames written to a connection between two flushes.
const MAX_FRAMES_PER_FLUSH: usize = 64;

/// Most bytes gathered for one write.
const MAX_BYTES_PER_FLUSH: usize = 256 * 1024;

/// How long a close frame may take to leave; a client that does not read is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How an endpoint's queued frames go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Binary,
    /// UTF-8 text: the queue holds only what was built from `str`s.
    Text,
}

impl FrameKind {
    /// Whether `bytes` go out as a text frame. Not UTF-8 is unreachable by
    /// construction for text endpoints; a binary frame is the honest fallback.
    fn is_text(self, bytes: &Bytes) -> bool {
        self == FrameKind::Text && std::str::from_utf8(bytes).is_ok()
    }
}

/// Writes every frame queued, gathered into few writes to the socket. Returns
/// the close the service asked for, if any; `Err` when the socket failed, or
/// when a write blocked on a client that does not read until the service gave
/// up on it.
///
/// Every connection's task holds this future's room while it waits, so the
/// write itself is boxed: it is made only when there is something to write.
pub async fn write_queued(socket: &mut Socket, inbox: &Inbox, kind: FrameKind) -> Result<Option<(u16, String)>, ()> {
    loop {
        let drained = match gather(socket, inbox, kind) {
            // Closing writes what was gathered before the close frame.
            Gathered::Close(code, reason) => return Ok(Some((code, reason))),
            Gathered::Drained => true,
            Gathered::Full => false,
        };
        // Also what the socket queued itself (a pong).
        if socket.pending() > 0 {
            Box::pin(unless_closed(inbox, socket.flush())).await?;
        }
        if drained {
            return Ok(None);
        }
    }
}

/// What [`gather`] stopped at.
enum Gathered {
    /// The queue is empty.
    Drained,
    /// A flush's worth of frames was gathered; more are queued.
    Full,
    /// The service closes the connection.
    Close(u16, String),
}

/// Moves queued frames into the socket's write buffer, up to a flush's worth.
fn gather(socket: &mut Socket, inbox: &Inbox, kind: FrameKind) -> Gathered {
    for _ in 0..MAX_FRAMES_PER_FLUSH {
        match inbox.next() {
            Next::Frame(bytes) => {
                socket.queue(&bytes, kind.is_text(&bytes));
                if socket.pending() >= MAX_BYTES_PER_FLUSH {
                    return Gathered::Full;
                }
            }
            Next::Close(code, reason) => return Gathered::Close(code, reason),
            Next::Empty => return Gathered::Drained,
        }
    }
    Gathered::Full
}

/// Runs a write, which blocks while the client does not read. The service keeps
/// queueing meanwhile; once the queue overflows it closes the connection, and
/// the write is abandoned: the socket is dropped, as no close frame can pass a
/// full buffer.
async fn unless_closed(inbox: &Inbox, write: impl Future<Output = std::io::Result<()>>) -> Result<(), ()> {
    let mut write = std::pin::pin!(write);
    loop {
        tokio::select! {
            biased;
            result = &mut write => return result.map_err(drop),
            () = inbox.ready() => {
                if inbox.is_closed() {
                    return Err(());
                }
            }
        }
    }
}

/// Sends what is queued and a close frame (best effort, for a few seconds),
/// and ends the connection.
pub async fn close(socket: &mut Socket, code: u16, reason: &str) {
    socket.queue_close(code, reason);
    finish(socket).await;
}

/// Sends what is queued (the reply to a client's close frame, usually) for a
/// few seconds at most, and ends the connection.
pub async fn finish(socket: &mut Socket) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.shutdown()).await;
}
