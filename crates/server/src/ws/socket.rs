//! One accepted WebSocket (RFC 6455, the server's side): the client's frames
//! read into messages, ours written, the closing handshake.
//!
//! Shaped for the many connections that sit idle: an idle socket holds no
//! buffer at all. Bytes are read into a chunk on the stack, only while the
//! socket is polled; what a read brings beyond the message it completes is
//! kept until it is parsed, then released. A frame's payload is read into a
//! buffer of exactly its size, which becomes the message; what is written is
//! gathered for one write and released once it is written. (A general-purpose
//! library keeps a read buffer and a write buffer per connection at their
//! largest size so far, which was most of an idle connection's memory.)
//!
//! No extension is negotiated, so every reserved bit must be clear. Client
//! frames must be masked, control frames short and whole, and a message (all
//! its fragments) within the endpoint's limit, checked before anything of it
//! is allocated. Text messages must be UTF-8. [`ReadError::close_code`] says
//! how each violation closes the connection.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{BufMut, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::close_code;

/// Most bytes one read takes when no frame's payload is being read: headers,
/// small frames, a burst of them. Read into the stack, not the socket.
const READ_CHUNK_BYTES: usize = 4096;

/// Smallest step a payload buffer grows by while its bytes arrive.
const MIN_PAYLOAD_GROWTH: usize = 256;

/// What a frame's payload buffer starts with, at most: a larger one grows as
/// its bytes arrive.
const FIRST_PAYLOAD_BYTES: usize = 64 * 1024;

/// Largest payload of a control frame (ping, pong, close).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// Opcodes of the frames this side reads and writes.
mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// A message the client sent. Pings are answered by the socket itself (the
/// pong goes out with the next write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Binary(Bytes),
    /// A text message; its bytes are valid UTF-8.
    Text(Bytes),
    Ping,
    Pong,
    /// The client closes, with its status code if it gave one. The reply is
    /// queued: [`WebSocket::shutdown`] sends it.
    Close(Option<u16>),
}

/// Why reading from a socket failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The client broke the framing rules.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// A message (or a frame of it) over the endpoint's limit.
    #[error("message too long: {size} bytes, the limit is {max}")]
    TooBig { size: u64, max: usize },
    /// A text message or close reason that is not UTF-8.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// The connection failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl ReadError {
    /// The close code this error ends the connection with, or `None` when the
    /// connection is gone and nothing can be sent.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            ReadError::Protocol(_) => Some(close_code::PROTOCOL_ERROR),
            ReadError::TooBig { .. } => Some(close_code::TOO_BIG),
            ReadError::InvalidUtf8 => Some(close_code::INVALID_DATA),
            ReadError::Io(_) => None,
        }
    }
}

/// A frame whose header was read, while its payload arrives.
#[derive(Debug)]
struct PartialFrame {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    /// The payload's length, from the header.
    len: usize,
    /// The payload read so far (its capacity is `len`).
    payload: Vec<u8>,
}

/// A message sent in fragments, while they arrive.
#[derive(Debug)]
struct Fragments {
    opcode: u8,
    data: Vec<u8>,
}

/// One WebSocket connection, over the upgraded HTTP connection `S`.
#[derive(Debug)]
pub struct WebSocket<S> {
    io: S,
    /// Largest message (all its fragments) a client may send.
    max_message: usize,
    /// Bytes read and not parsed yet: `read[start..]`; released once parsed.
    read: Vec<u8>,
    start: usize,
    /// A frame whose payload is still arriving, and a message whose fragments
    /// are: both rare, so boxed (every idle connection holds these fields).
    frame: Option<Box<PartialFrame>>,
    fragments: Option<Box<Fragments>>,
    /// Frames to write, and how much of them was written.
    out: Vec<u8>,
    written: usize,
    /// The client's close frame arrived: nothing is read after it.
    close_received: bool,
    /// Our close frame was queued: nothing is written after it.
    close_sent: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// A socket over a connection whose handshake is done, taking messages of
    /// up to `max_message` bytes.
    pub fn new(io: S, max_message: usize) -> Self {
        WebSocket {
            io,
            max_message,
            read: Vec::new(),
            start: 0,
            frame: None,
            fragments: None,
            out: Vec::new(),
            written: 0,
            close_received: false,
            close_sent: false,
        }
    }

    /// The client's next message; `None` once the connection ended (or its
    /// close frame was read).
    ///
    /// Cancel-safe: what was read is kept in the socket, so a `select!` that
    /// drops this future loses nothing. The future is a pointer to the socket:
    /// an idle connection's task holds it all along.
    pub fn recv(&mut self) -> impl Future<Output = Option<Result<Message, ReadError>>> + Send + '_
    where
        S: Send,
    {
        std::future::poll_fn(move |cx| self.poll_recv(cx))
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, ReadError>>> {
        if self.close_received {
            return Poll::Ready(None);
        }
        loop {
            let parsed = self.parse();
            if self.start == self.read.len() {
                self.read = Vec::new();
                self.start = 0;
            }
            match parsed {
                Ok(Some(message)) => return Poll::Ready(Some(Ok(message))),
                Ok(None) => {}
                Err(err) => return Poll::Ready(Some(Err(err))),
            }
            match ready!(self.poll_fill(cx)) {
                // The client left, perhaps in the middle of a frame.
                Ok(0) => return Poll::Ready(None),
                Ok(_) => {}
                Err(err) => return Poll::Ready(Some(Err(err.into()))),
            }
        }
    }

    /// Reads more bytes: straight into the payload of a frame whose header was
    /// parsed, through a chunk on the stack into `read` otherwise. The chunk
    /// exists only while the read is polled: a pending read has taken no
    /// bytes, so nothing is held while the client is quiet.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if let Some(frame) = self.frame.as_mut() {
            let missing = frame.len - frame.payload.len();
            if frame.payload.len() == frame.payload.capacity() {
                // Grown as the payload arrives (doubling), not to the size the
                // header announced: a header costs its sender nothing.
                frame.payload.reserve(missing.min(frame.payload.capacity().max(MIN_PAYLOAD_GROWTH)));
            }
            return tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut (&mut frame.payload).limit(missing));
        }
        let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK_BYTES];
        let mut chunk = ReadBuf::uninit(&mut chunk);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut chunk))?;
        self.read.drain(..self.start);
        self.start = 0;
        self.read.extend_from_slice(chunk.filled());
        Poll::Ready(Ok(chunk.filled().len()))
    }

    /// The next whole message in what was read, if there is one.
    fn parse(&mut self) -> Result<Option<Message>, ReadError> {
        loop {
            let mut frame = match self.frame.take() {
                Some(mut frame) => {
                    if !take_payload(&mut frame, &self.read, &mut self.start) {
                        self.frame = Some(frame);
                        return Ok(None);
                    }
                    *frame
                }
                None => {
                    let Some(mut frame) = self.parse_header()? else { return Ok(None) };
                    if !take_payload(&mut frame, &self.read, &mut self.start) {
                        // The rest of its payload comes with later reads.
                        self.frame = Some(Box::new(frame));
                        return Ok(None);
                    }
                    frame
                }
            };
            apply_mask(&mut frame.payload, frame.mask);
            if let Some(message) = self.complete(frame)? {
                return Ok(Some(message));
            }
        }
    }

    /// Parses and checks the header at the start of what was read, and
    /// consumes it; `None` while it is incomplete.
    fn parse_header(&mut self) -> Result<Option<PartialFrame>, ReadError> {
        let bytes = &self.read[self.start..];
        let [first, second, ..] = *bytes else { return Ok(None) };
        let (fin, opcode) = (first & 0x80 != 0, first & 0x0F);
        if first & 0x70 != 0 {
            return Err(ReadError::Protocol("reserved bits set, but no extension was agreed"));
        }
        if second & 0x80 == 0 {
            return Err(ReadError::Protocol("client frames must be masked"));
        }
        let (len, mut at) = match second & 0x7F {
            126 => match bytes.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => return Ok(None),
            },
            127 => match bytes.get(2..10) {
                Some(b) => (u64::from_be_bytes(b.try_into().unwrap_or_default()), 10),
                None => return Ok(None),
            },
            short => (u64::from(short), 2),
        };
        let Some(mask) = bytes.get(at..at + 4) else { return Ok(None) };
        let mask = [mask[0], mask[1], mask[2], mask[3]];
        at += 4;
        match opcode {
            opcode::CLOSE | opcode::PING | opcode::PONG => {
                if !fin {
                    return Err(ReadError::Protocol("control frames must not be fragmented"));
                }
                if len > MAX_CONTROL_PAYLOAD as u64 {
                    return Err(ReadError::Protocol("control frames carry at most 125 bytes"));
                }
            }
            opcode::TEXT | opcode::BINARY => {
                if self.fragments.is_some() {
                    return Err(ReadError::Protocol("a message began before the previous one ended"));
                }
                self.check_size(len)?;
            }
            opcode::CONTINUATION => match &self.fragments {
                None => return Err(ReadError::Protocol("a continuation frame without a message")),
                Some(fragments) => self.check_size((fragments.data.len() as u64).saturating_add(len))?,
            },
            _ => return Err(ReadError::Protocol("unknown opcode")),
        }
        self.start += at;
        // Within the message limit (a `usize`), or a control frame's 125 bytes.
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let payload = Vec::with_capacity(len.min(FIRST_PAYLOAD_BYTES));
        Ok(Some(PartialFrame { fin, opcode, mask, len, payload }))
    }

    fn check_size(&self, size: u64) -> Result<(), ReadError> {
        if size > self.max_message as u64 {
            return Err(ReadError::TooBig { size, max: self.max_message });
        }
        Ok(())
    }

    /// Handles a whole frame: answers control frames, puts fragments together.
    fn complete(&mut self, frame: PartialFrame) -> Result<Option<Message>, ReadError> {
        let PartialFrame { fin, opcode, payload, .. } = frame;
        match opcode {
            opcode::PING => {
                if !self.close_sent {
                    write_frame(&mut self.out, opcode::PONG, &payload);
                }
                Ok(Some(Message::Ping))
            }
            opcode::PONG => Ok(Some(Message::Pong)),
            opcode::CLOSE => self.close_frame(&payload).map(Some),
            opcode::CONTINUATION => {
                let Some(fragments) = self.fragments.as_mut() else {
                    return Err(ReadError::Protocol("a continuation frame without a message"));
                };
                fragments.data.extend_from_slice(&payload);
                if !fin {
                    return Ok(None);
                }
                let Some(fragments) = self.fragments.take() else { return Ok(None) };
                let Fragments { opcode, data } = *fragments;
                message(opcode, data).map(Some)
            }
            _ if fin => message(opcode, payload).map(Some),
            _ => {
                self.fragments = Some(Box::new(Fragments { opcode, data: payload }));
                Ok(None)
            }
        }
    }

    /// The client's close frame: checks it and queues the reply (its code).
    fn close_frame(&mut self, payload: &[u8]) -> Result<Message, ReadError> {
        let code = match payload {
            [] => None,
            [_] => return Err(ReadError::Protocol("a close frame's code takes two bytes")),
            [high, low, reason @ ..] => {
                let code = u16::from_be_bytes([*high, *low]);
                if !is_sendable_close_code(code) {
                    return Err(ReadError::Protocol("invalid close code"));
                }
                std::str::from_utf8(reason).map_err(|_| ReadError::InvalidUtf8)?;
                Some(code)
            }
        };
        self.close_received = true;
        if !self.close_sent {
            self.close_sent = true;
            let reply = code.map(u16::to_be_bytes);
            write_frame(&mut self.out, opcode::CLOSE, reply.as_ref().map_or(&[][..], |code| &code[..]));
        }
        Ok(Message::Close(code))
    }

    /// Queues a binary (`text == false`) or text message; [`flush`](Self::flush) writes it.
    pub fn queue(&mut self, payload: &[u8], text: bool) {
        if !self.close_sent {
            write_frame(&mut self.out, if text { opcode::TEXT } else { opcode::BINARY }, payload);
        }
    }

    /// Bytes queued and not written yet.
    pub fn pending(&self) -> usize {
        self.out.len() - self.written
    }

    /// Writes what is queued, then lets the buffer go: an idle socket keeps none.
    ///
    /// Cancel-safe: what was written is remembered (a cancelled write is only
    /// ever followed by dropping the socket, though).
    pub async fn flush(&mut self) -> io::Result<()> {
        while self.written < self.out.len() {
            let n = self.io.write(&self.out[self.written..]).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.written += n;
        }
        self.out = Vec::new();
        self.written = 0;
        self.io.flush().await
    }

    /// Queues our close frame (nothing is written after it) with `code` and
    /// `reason` (at most 123 bytes of it).
    pub fn queue_close(&mut self, code: u16, reason: &str) {
        if self.close_sent {
            return;
        }
        self.close_sent = true;
        let mut end = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let mut payload = Vec::with_capacity(2 + end);
        payload.extend_from_slice(&code.to_be_bytes());
        payload.extend_from_slice(&reason.as_bytes()[..end]);
        write_frame(&mut self.out, opcode::CLOSE, &payload);
    }

    /// Writes what is queued (a close frame, usually) and ends our side of the connection.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.flush().await?;
        self.io.shutdown().await
    }
}

/// The message of a whole data frame or of its fragments put together.
fn message(opcode: u8, data: Vec<u8>) -> Result<Message, ReadError> {
    if opcode == opcode::TEXT {
        std::str::from_utf8(&data).map_err(|_| ReadError::InvalidUtf8)?;
        return Ok(Message::Text(Bytes::from(data)));
    }
    Ok(Message::Binary(Bytes::from(data)))
}

/// Whether a peer may send this close code (RFC 6455 §7.4: 1004–1006 and 1015
/// are never sent, 1016–2999 are reserved; 3000–4999 are for applications).
fn is_sendable_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Appends an unmasked frame (a server's) with `fin` set.
fn write_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    let len = payload.len();
    out.reserve(len + 10);
    out.push(0x80 | opcode);
    match len {
        0..=125 => out.push(len as u8),
        126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// Moves what was read of `frame`'s payload into it; whether the payload is whole.
fn take_payload(frame: &mut PartialFrame, read: &[u8], start: &mut usize) -> bool {
    let take = (frame.len - frame.payload.len()).min(read.len() - *start);
    frame.payload.extend_from_slice(&read[*start..*start + take]);
    *start += take;
    frame.payload.len() == frame.len
}

/// Unmasks a client's payload (XOR with the key, repeated).
fn apply_mask(payload: &mut [u8], mask: [u8; 4]) {
    let word = u32::from_ne_bytes(mask);
    let mut chunks = payload.chunks_exact_mut(4);
    for chunk in &mut chunks {
        let value = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ word;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (byte, key) in chunks.into_remainder().iter_mut().zip(mask) {
        *byte ^= key;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::protocol::Role;
    use tokio_tungstenite::tungstenite::{self, protocol::CloseFrame};

    use super::*;

    const MAX: usize = 64 * 1024;

    fn pair() -> (WebSocket<DuplexStream>, DuplexStream) {
        let (server, client) = duplex(1 << 20);
        (WebSocket::new(server, MAX), client)
    }

    /// A client frame: masked, with `fin` and `opcode` as given.
    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        masked_frame(fin, opcode, payload, [0x37, 0xfa, 0x21, 0x3d])
    }

    /// A client frame masked with `mask`.
    pub(super) fn masked_frame(fin: bool, opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload.len() {
            len @ 0..=125 => out.push(0x80 | len as u8),
            len @ 126..=0xFFFF => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ mask[i % 4]));
        out
    }

    async fn error_of(bytes: &[u8]) -> ReadError {
        let (mut socket, mut client) = pair();
        client.write_all(bytes).await.unwrap();
        match socket.recv().await {
            Some(Err(err)) => err,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn frames_that_arrive_a_byte_at_a_time_still_make_their_messages() {
        let (mut socket, mut client) = pair();
        let big = vec![7u8; 60_000];
        let mut bytes = frame(true, opcode::BINARY, b"small");
        bytes.extend(frame(false, opcode::TEXT, "héllo ".as_bytes()));
        bytes.extend(frame(true, opcode::PING, b"are you there"));
        bytes.extend(frame(true, opcode::CONTINUATION, "wörld".as_bytes()));
        bytes.extend(frame(true, opcode::BINARY, &big));
        bytes.extend(frame(true, opcode::BINARY, &[]));
        let writer = tokio::spawn(async move {
            for byte in bytes {
                client.write_all(&[byte]).await.unwrap();
                tokio::task::yield_now().await;
            }
            client
        });
        let mut got = Vec::new();
        while got.len() < 5 {
            // Dropping a pending read (as `select!` does) must lose nothing.
            if let Ok(message) = tokio::time::timeout(Duration::from_micros(50), socket.recv()).await {
                got.push(message.unwrap().unwrap());
            }
        }
        let _client = writer.await.unwrap();
        assert_eq!(
            got,
            vec![
                Message::Binary(Bytes::from_static(b"small")),
                Message::Ping,
                Message::Text(Bytes::from("héllo wörld")),
                Message::Binary(Bytes::from(big)),
                Message::Binary(Bytes::new()),
            ]
        );
    }

    #[tokio::test]
    async fn frames_read_together_come_out_one_by_one_and_nothing_is_held_once_parsed() {
        let (mut socket, mut client) = pair();
        let mut bytes = frame(true, opcode::BINARY, b"one");
        bytes.extend(frame(true, opcode::BINARY, &[9u8; 300]));
        bytes.extend(frame(true, opcode::TEXT, b"three"));
        client.write_all(&bytes).await.unwrap();
        assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Binary(Bytes::from_static(b"one")));
        // The rest of the read waits in the socket for the next calls.
        assert!(socket.read.len() > socket.start);
        assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Binary(Bytes::from(vec![9u8; 300])));
        assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Text(Bytes::from_static(b"three")));
        assert_eq!(socket.read.capacity(), 0, "an idle socket keeps no read buffer");
        // A header split across reads is kept until its frame completes, then released.
        let split = frame(true, opcode::BINARY, &[1u8; 200]);
        client.write_all(&split[..3]).await.unwrap();
        assert!(tokio::time::timeout(Duration::from_millis(20), socket.recv()).await.is_err());
        client.write_all(&split[3..]).await.unwrap();
        assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Binary(Bytes::from(vec![1u8; 200])));
        assert_eq!(socket.read.capacity(), 0);
    }

    #[tokio::test]
    async fn a_stock_client_and_this_socket_understand_each_other() {
        let (server, client) = duplex(1 << 20);
        let mut socket = WebSocket::new(server, MAX);
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        let sizes = [0, 1, 125, 126, 255, 65_535, 65_536];
        for size in sizes {
            client.send(tungstenite::Message::binary(vec![size as u8; size])).await.unwrap();
            assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Binary(Bytes::from(vec![size as u8; size])));
            socket.queue(&vec![size as u8; size], false);
            socket.queue("ünïcode".as_bytes(), true);
        }
        socket.flush().await.unwrap();
        assert_eq!(socket.out.capacity(), 0, "an idle socket keeps no write buffer");
        for size in sizes {
            assert_eq!(client.next().await.unwrap().unwrap(), tungstenite::Message::binary(vec![size as u8; size]));
            assert_eq!(client.next().await.unwrap().unwrap(), tungstenite::Message::text("ünïcode"));
        }
        client.send(tungstenite::Message::Ping(Bytes::from_static(b"p1"))).await.unwrap();
        assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Ping);
        socket.flush().await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), tungstenite::Message::Pong(Bytes::from_static(b"p1")));
        // The client closes; the socket answers with the same code, then reads nothing more.
        let close = CloseFrame { code: 1000.into(), reason: "bye".into() };
        client.send(tungstenite::Message::Close(Some(close))).await.unwrap();
        assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Close(Some(1000)));
        assert!(socket.recv().await.is_none());
        socket.shutdown().await.unwrap();
        match client.next().await.unwrap().unwrap() {
            tungstenite::Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1000),
            other => panic!("expected the close reply, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_server_closes_with_a_code_and_a_reason_cut_to_fit() {
        let (server, client) = duplex(1 << 20);
        let mut socket = WebSocket::new(server, MAX);
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        socket.queue(b"last words", false);
        socket.queue_close(1008, &"é".repeat(100));
        socket.queue(b"never sent", false);
        socket.shutdown().await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), tungstenite::Message::binary(&b"last words"[..]));
        match client.next().await.unwrap().unwrap() {
            tungstenite::Message::Close(Some(frame)) => {
                assert_eq!(u16::from(frame.code), 1008);
                assert!(frame.reason.len() <= 123 && frame.reason.chars().all(|c| c == 'é'));
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn frames_that_break_the_rules_close_with_1002() {
        let mut unmasked = frame(true, opcode::BINARY, b"x");
        unmasked[1] &= 0x7F;
        unmasked.truncate(2);
        let mut reserved = frame(true, opcode::BINARY, b"x");
        reserved[0] |= 0x40;
        let mut text_then_text = frame(false, opcode::TEXT, b"a");
        text_then_text.extend(frame(true, opcode::TEXT, b"b"));
        let cases = [
            ("unmasked", unmasked),
            ("reserved bit", reserved),
            ("unknown opcode", frame(true, 0x3, b"x")),
            ("fragmented ping", frame(false, opcode::PING, b"x")),
            ("long ping", frame(true, opcode::PING, &[0; 126])),
            ("lone continuation", frame(true, opcode::CONTINUATION, b"x")),
            ("message inside a message", text_then_text),
            ("one-byte close", frame(true, opcode::CLOSE, &[3])),
            ("close code 1005", frame(true, opcode::CLOSE, &1005u16.to_be_bytes())),
        ];
        for (name, bytes) in cases {
            let err = error_of(&bytes).await;
            assert_eq!(err.close_code(), Some(1002), "{name}: {err}");
        }
    }

    #[tokio::test]
    async fn oversized_messages_close_with_1009_before_their_payload_is_read() {
        // Only the header is sent: the size is refused from it.
        let header = &frame(true, opcode::BINARY, &vec![0; MAX + 1])[..14];
        let err = error_of(header).await;
        assert_eq!(err.close_code(), Some(1009), "{err}");
        let huge = [0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4];
        assert_eq!(error_of(&huge).await.close_code(), Some(1009));
        // Fragments count together.
        let mut fragments = frame(false, opcode::BINARY, &vec![0; MAX / 2 + 1]);
        fragments.extend(&frame(true, opcode::CONTINUATION, &vec![0; MAX / 2])[..8]);
        assert_eq!(error_of(&fragments).await.close_code(), Some(1009));
    }

    #[tokio::test]
    async fn text_that_is_not_utf8_closes_with_1007() {
        assert_eq!(error_of(&frame(true, opcode::TEXT, &[0xC3])).await.close_code(), Some(1007));
        let mut close = 1000u16.to_be_bytes().to_vec();
        close.push(0xFF);
        assert_eq!(error_of(&frame(true, opcode::CLOSE, &close)).await.close_code(), Some(1007));
        // A character split between fragments is fine.
        let (mut socket, mut client) = pair();
        let text = "é".as_bytes();
        let mut bytes = frame(false, opcode::TEXT, &text[..1]);
        bytes.extend(frame(true, opcode::CONTINUATION, &text[1..]));
        client.write_all(&bytes).await.unwrap();
        assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Text(Bytes::from("é")));
    }

    #[tokio::test]
    async fn a_client_that_leaves_ends_the_messages() {
        let (mut socket, mut client) = pair();
        client.write_all(&frame(true, opcode::BINARY, b"half")[..4]).await.unwrap();
        drop(client);
        assert!(socket.recv().await.is_none());
        let (mut socket, client) = pair();
        drop(client);
        assert!(socket.recv().await.is_none());
    }

    #[tokio::test]
    async fn the_server_frames_are_unmasked_with_the_shortest_length() {
        let (mut socket, mut client) = pair();
        for size in [0usize, 125, 126, 65_535, 65_536] {
            socket.queue(&vec![1; size], false);
            socket.flush().await.unwrap();
            let header_len = match size {
                0..=125 => 2,
                126..=65_535 => 4,
                _ => 10,
            };
            let mut got = vec![0; header_len + size];
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(got[0], 0x82);
            assert_eq!(got[1] & 0x80, 0, "server frames are not masked");
            assert!(got[header_len..].iter().all(|&b| b == 1));
        }
    }

    #[test]
    fn masking_twice_gives_the_payload_back() {
        for len in 0..20 {
            let payload: Vec<u8> = (0..len as u8).collect();
            let mut masked = payload.clone();
            apply_mask(&mut masked, [1, 2, 3, 4]);
            assert!(len == 0 || masked != payload);
            assert!(masked.iter().enumerate().all(|(i, b)| b ^ [1, 2, 3, 4][i % 4] == payload[i]));
            apply_mask(&mut masked, [1, 2, 3, 4]);
            assert_eq!(masked, payload);
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use tokio::io::{AsyncWriteExt, duplex};

    use super::tests::masked_frame;
    use super::*;

    fn run<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
    }

    /// Every message `bytes` makes, until the socket ends or fails.
    async fn read_all(bytes: Vec<u8>, chunk: usize) -> Vec<Result<Message, String>> {
        let (server, mut client) = duplex(1 << 16);
        let mut socket = WebSocket::new(server, 4096);
        let writer = tokio::spawn(async move {
            for part in bytes.chunks(chunk.max(1)) {
                if client.write_all(part).await.is_err() {
                    break;
                }
            }
        });
        let mut got = Vec::new();
        while let Some(message) = socket.recv().await {
            let failed = message.is_err();
            got.push(message.map_err(|err| err.to_string()));
            if failed {
                break;
            }
        }
        writer.abort();
        got
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Whatever arrives, the socket answers with messages or an error, never a panic or a hang.
        #[test]
        fn any_bytes_end_in_messages_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..600), chunk in 1usize..40) {
            let mut masked = bytes.clone();
            if let Some(second) = masked.get_mut(1) {
                *second |= 0x80;
            }
            run(async {
                read_all(bytes, chunk).await;
                read_all(masked, chunk).await;
            });
        }

        /// Messages split into fragments and into reads of any size come out whole and in order.
        #[test]
        fn messages_come_out_whole_however_they_are_cut(
            messages in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..700), 1usize..4), 1..6),
            chunk in 1usize..300,
            mask in any::<[u8; 4]>(),
        ) {
            let mut bytes = Vec::new();
            for (payload, pieces) in &messages {
                let size = payload.len().div_ceil(*pieces).max(1);
                let parts: Vec<&[u8]> = if payload.is_empty() { vec![&[][..]] } else { payload.chunks(size).collect() };
                for (i, part) in parts.iter().enumerate() {
                    let opcode = if i == 0 { opcode::BINARY } else { opcode::CONTINUATION };
                    bytes.extend(masked_frame(i + 1 == parts.len(), opcode, part, mask));
                }
                bytes.extend(masked_frame(true, opcode::PONG, b"", mask));
            }
            let got = run(read_all(bytes, chunk));
            let want: Vec<Result<Message, String>> = messages
                .into_iter()
                .flat_map(|(payload, _)| [Ok(Message::Binary(Bytes::from(payload))), Ok(Message::Pong)])
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
