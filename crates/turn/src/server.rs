//! [`TurnServer`]: one UDP listening socket served by the `turn` crate, with
//! TURN REST authentication and relays on one address; [`TurnConfig`] is what
//! it needs to start.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::net::UdpSocket;
use turn::server::Server;
use turn::server::config::{ConnConfig, ServerConfig};

use crate::TurnError;
use crate::auth::RestAuthHandler;
use crate::relay::RelaySockets;

/// How long [`TurnServer::close`] waits for the `turn` tasks to let go of
/// their sockets.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often [`TurnServer::close`] checks whether the sockets are closed.
const CLOSE_POLL: Duration = Duration::from_millis(10);

/// What the TURN server needs to start.
#[derive(Clone)]
pub struct TurnConfig {
    /// Where to listen for TURN requests (UDP); port 0 picks a free port.
    pub listen: SocketAddr,
    /// The address advertised for relayed candidates. Relay sockets are bound
    /// on it (any free port), so it must be an address of this host.
    pub relay_ip: IpAddr,
    /// The realm of the long-term credentials (for instance the server's host name).
    pub realm: String,
    /// The secret shared with whoever mints the credentials.
    pub secret: Vec<u8>,
}

impl fmt::Debug for TurnConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnConfig")
            .field("listen", &self.listen)
            .field("relay_ip", &self.relay_ip)
            .field("realm", &self.realm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl TurnConfig {
    fn validate(&self) -> Result<(), TurnError> {
        if self.secret.is_empty() {
            return Err(TurnError::Config("the shared secret is empty".into()));
        }
        if self.realm.is_empty() {
            return Err(TurnError::Config("the realm is empty".into()));
        }
        if self.relay_ip.is_unspecified() || self.relay_ip.is_multicast() {
            return Err(TurnError::Config(format!(
                "the relay address {} cannot be advertised to clients",
                self.relay_ip
            )));
        }
        Ok(())
    }
}

/// A running TURN server. Dropping it also stops serving, without waiting for
/// the sockets to close; [`TurnServer::close`] waits.
pub struct TurnServer {
    server: Server,
    local_addr: SocketAddr,
    /// The listening socket, owned by the `turn` tasks.
    listener: Weak<UdpSocket>,
    relays: RelaySockets,
}

impl fmt::Debug for TurnServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnServer").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl TurnServer {
    /// Binds the UDP socket and starts serving (on the current tokio runtime).
    pub async fn start(config: TurnConfig) -> Result<TurnServer, TurnError> {
        config.validate()?;
        let bind_error = |source| TurnError::Bind { addr: config.listen, source };
        let socket = Arc::new(UdpSocket::bind(config.listen).await.map_err(bind_error)?);
        let local_addr = socket.local_addr().map_err(bind_error)?;
        let listener = Arc::downgrade(&socket);
        let relays = RelaySockets::new(config.relay_ip);
        let server = Server::new(ServerConfig {
            conn_configs: vec![ConnConfig { conn: socket, relay_addr_generator: Box::new(relays.clone()) }],
            realm: config.realm.clone(),
            auth_handler: Arc::new(RestAuthHandler::new(config.realm.clone(), config.secret)),
            // Zero: the `turn` default (10 minutes).
            channel_bind_timeout: Duration::ZERO,
            alloc_close_notify: None,
        })
        .await
        .map_err(TurnError::Start)?;
        tracing::info!(listen = %local_addr, relay_ip = %config.relay_ip, realm = %config.realm, "TURN server started");
        Ok(TurnServer { server, local_addr, listener, relays })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops serving and frees the port, and every relay port: returns once
    /// all of them are closed.
    pub async fn close(self) -> Result<(), TurnError> {
        self.server.close().await.map_err(TurnError::Close)?;
        // `turn` closes its allocations and drops its sockets in tasks that
        // finish after `close` returns; wait for the last of them.
        let open = || usize::from(self.listener.strong_count() > 0) + self.relays.open();
        let started = tokio::time::Instant::now();
        while open() > 0 {
            if started.elapsed() >= CLOSE_TIMEOUT {
                return Err(TurnError::CloseTimeout { addr: self.local_addr, open: open(), waited: CLOSE_TIMEOUT });
            }
            tokio::time::sleep(CLOSE_POLL).await;
        }
        tracing::info!(listen = %self.local_addr, "TURN server stopped");
        Ok(())
    }
}
