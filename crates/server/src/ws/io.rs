//! Writing a connection's queue to its socket, and closing it. Shared by every
//! live endpoint; each says whether its frames are binary (y-websocket) or text
//! (JSON).

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::SinkExt;

use super::outbox::{Inbox, Next};

/// Most queued frames written to a connection between two flushes.
const MAX_FRAMES_PER_FLUSH: usize = 64;

/// How an endpoint's queued frames go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Binary,
    /// UTF-8 text: the queue holds only what was built from `str`s.
    Text,
}

impl FrameKind {
    fn message(self, bytes: Bytes) -> Message {
        match self {
            FrameKind::Binary => Message::Binary(bytes),
            // Not UTF-8 is unreachable by construction; a binary frame is the honest fallback.
            FrameKind::Text => Utf8Bytes::try_from(bytes.clone()).map_or(Message::Binary(bytes), Message::Text),
        }
    }
}

/// Writes every frame queued, then flushes once: one write to the socket for a
/// burst instead of one per frame. Returns the close the service asked for, if
/// any; `Err` when the socket failed, or when a write blocked on a client that
/// does not read until the service gave up on it.
pub async fn write_queued(socket: &mut WebSocket, inbox: &Inbox, kind: FrameKind) -> Result<Option<(u16, String)>, ()> {
    let mut written = 0;
    loop {
        match inbox.next() {
            Next::Frame(bytes) => {
                unless_closed(inbox, socket.feed(kind.message(bytes))).await?;
                written += 1;
                if written % MAX_FRAMES_PER_FLUSH == 0 {
                    unless_closed(inbox, socket.flush()).await?;
                }
            }
            Next::Close(code, reason) => return Ok(Some((code, reason))),
            Next::Empty => break,
        }
    }
    if written % MAX_FRAMES_PER_FLUSH != 0 {
        unless_closed(inbox, socket.flush()).await?;
    }
    Ok(None)
}

/// Runs a write, which blocks while the client does not read. The service keeps
/// queueing meanwhile; once the queue overflows it closes the connection, and
/// the write is abandoned: the socket is dropped, as no close frame can pass a
/// full buffer.
async fn unless_closed(inbox: &Inbox, write: impl Future<Output = Result<(), axum::Error>>) -> Result<(), ()> {
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

/// Sends a close frame (best effort) and closes the socket.
pub async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame { code, reason: truncate_reason(reason).into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
    let _ = socket.close().await;
}

/// The close code for a failed read: too big, or not valid.
pub fn read_error_code(err: &axum::Error) -> (u16, String) {
    let text = err.to_string();
    let code = if text.contains("too long") || text.contains("Space limit") {
        super::close_code::TOO_BIG
    } else {
        super::close_code::INVALID_DATA
    };
    (code, text)
}

/// Close reasons are limited to 123 bytes by the WebSocket protocol.
fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary_within_123_bytes() {
        let reason = "é".repeat(100);
        let cut = truncate_reason(&reason);
        assert!(cut.len() <= 123 && cut.chars().all(|c| c == 'é'));
        assert_eq!(truncate_reason("short"), "short");
    }
}
