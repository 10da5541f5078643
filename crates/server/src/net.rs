//! The TCP listener the server accepts on: `TCP_NODELAY` on every socket (without
//! it, small WebSocket frames wait on Nagle + delayed ACK for 30+ ms) and an
//! open-connections gauge that follows each socket's life.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::metrics::Metrics;

/// A [`TcpListener`] that tunes and counts the sockets it accepts.
#[derive(Debug)]
pub struct TunedListener {
    inner: TcpListener,
    metrics: Arc<Metrics>,
}

impl TunedListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }
}

impl Listener for TunedListener {
    type Io = CountedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    if let Err(err) = stream.set_nodelay(true) {
                        tracing::warn!(%addr, %err, "could not set TCP_NODELAY");
                    }
                    self.metrics.connection_opened();
                    return (CountedStream { inner: stream, metrics: self.metrics.clone() }, addr);
                }
                Err(err) => {
                    // Out of file descriptors and similar: the error belongs to the
                    // connection that could not be accepted, never to the server.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The remote address of a connection, for handlers that need the client's IP.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, TunedListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, TunedListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// A TCP stream that decrements the open-connections gauge when dropped.
#[derive(Debug)]
pub struct CountedStream {
    inner: TcpStream,
    metrics: Arc<Metrics>,
}

impl CountedStream {
    /// Whether `TCP_NODELAY` is set on the socket.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }
}

impl Drop for CountedStream {
    fn drop(&mut self) {
        self.metrics.connection_closed();
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_sockets_have_nodelay_and_are_counted_until_closed() {
        let metrics = Arc::new(Metrics::default());
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let mut listener = TunedListener::new(inner, metrics.clone());
        let client = TcpStream::connect(addr).await.unwrap();
        let (stream, peer) = listener.accept().await;
        assert_eq!(peer, client.local_addr().unwrap());
        assert!(stream.nodelay().unwrap(), "TCP_NODELAY must be set on accepted sockets");
        assert_eq!(metrics.open_connections(), 1);
        drop(stream);
        assert_eq!(metrics.open_connections(), 0);
    }
}
