//! The connection loop every live WebSocket endpoint runs, in one task per
//! connection: write what the service queued (one flush per burst), then wait
//! for either more to write or the client's next frame. The loop owns what is
//! the same for every endpoint — the frame kind (a frame of the other kind
//! closes with 1003), the message rate (1008), read errors turned into close
//! codes (1002, 1009, 1007), the closing handshake — and hands each frame to the
//! endpoint's [`FrameHandler`], which also says which frames it speaks.
//!
//! Writing and reading take turns, which costs nothing (a handler passes a
//! frame on without waiting for it to be handled) and saves a second task and
//! a channel per connection.

use std::future::Future;

use bytes::Bytes;

use super::close_code;
use super::handshake::Socket;
use super::io::{FrameKind, close, finish, write_queued};
use super::outbox::Inbox;
use super::rate::MessageRate;
use super::socket::Message;

/// What a connection does after one of its frames was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Go on: write what is queued, read the next frame.
    Continue,
    /// Close the connection with this code and reason.
    Close(u16, String),
}

/// What an endpoint speaks and does with the frames of one connection.
pub trait FrameHandler {
    /// The one kind of data frame the endpoint reads and writes.
    const FRAMES: FrameKind;
    /// The close reason sent with 1003 when a client sends the other kind of frame.
    const WRONG_FRAME_REASON: &'static str;

    /// Handles one frame the client sent, once it passed the frame kind and the
    /// rate (a text frame's payload is valid UTF-8).
    fn on_frame(&mut self, payload: Bytes) -> impl Future<Output = Flow> + Send;

    /// Runs once the connection ended, before its close frame is sent.
    fn on_end(&mut self) -> impl Future<Output = ()> + Send;
}

/// The close rate-limited connections get.
const RATE_LIMIT_EXCEEDED: &str = "rate limit exceeded";

/// Runs one connection until the client leaves, the service closes it (through
/// its outbox) or a frame breaks the endpoint's rules (`messages_per_second`,
/// sustained, bursts of 4× pass), then closes the socket with the code and
/// reason that ended it (none when the client left or the socket failed).
///
/// The future lives as long as the connection, so it is kept small: a plain
/// `async` block, which holds what it captures once (an `async fn` would also
/// keep a copy of its arguments), with the handler moved in.
pub fn run<'a, H: FrameHandler + Send + 'a>(
    socket: &'a mut Socket,
    inbox: &'a Inbox,
    messages_per_second: u32,
    mut handler: H,
) -> impl Future<Output = ()> + Send + 'a {
    let mut rate = MessageRate::new(messages_per_second);
    async move {
        let closing = loop {
            match write_queued(socket, inbox, H::FRAMES).await {
                Ok(None) => {}
                Ok(Some(close)) => break Some(close),
                Err(()) => break None,
            }
            // The frame read is matched as a temporary: only its payload is
            // kept while the handler runs.
            let payload = match tokio::select! {
                biased;
                () = inbox.ready() => continue,
                message = socket.recv() => message,
            } {
                Some(Ok(Message::Binary(data))) if H::FRAMES == FrameKind::Binary => data,
                Some(Ok(Message::Text(text))) if H::FRAMES == FrameKind::Text => text,
                Some(Ok(Message::Binary(_) | Message::Text(_))) => {
                    break Some((close_code::UNSUPPORTED, H::WRONG_FRAME_REASON.to_owned()));
                }
                // The socket queued the pong; the next turn writes it. Pings
                // count against the rate like any frame.
                Some(Ok(Message::Ping | Message::Pong)) if rate.allow() => continue,
                Some(Ok(Message::Ping | Message::Pong)) => {
                    break Some((close_code::POLICY, RATE_LIMIT_EXCEEDED.to_owned()));
                }
                // The socket queued the reply to the client's close.
                Some(Ok(Message::Close(_))) | None => break None,
                Some(Err(err)) => {
                    tracing::debug!(%err, "websocket read failed");
                    match err.close_code() {
                        Some(code) => break Some((code, err.to_string())),
                        None => break None,
                    }
                }
            };
            if !rate.allow() {
                break Some((close_code::POLICY, RATE_LIMIT_EXCEEDED.to_owned()));
            }
            match handler.on_frame(payload).await {
                Flow::Continue => {}
                Flow::Close(code, reason) => break Some((code, reason)),
            }
        };
        handler.on_end().await;
        // Boxed, as they hold a timer: the future would keep room for it all along.
        match closing {
            Some((code, reason)) => Box::pin(close(socket, code, &reason)).await,
            None => Box::pin(finish(socket)).await,
        }
    }
}
