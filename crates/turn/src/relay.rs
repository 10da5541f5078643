//! [`RelaySockets`]: binds each allocation's relay socket on the configured
//! relay address (any free port unless the client asked for one) and keeps a
//! weak handle on it, so that closing the server can wait until every relay
//! port is free again.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::net::UdpSocket;
use turn::relay::RelayAddressGenerator;
use webrtc_util::Conn;

/// The `turn` crate's relay address generator for one relay address.
#[derive(Debug, Clone)]
pub(crate) struct RelaySockets {
    ip: IpAddr,
    bound: Arc<Mutex<Vec<Weak<UdpSocket>>>>,
}

impl RelaySockets {
    pub(crate) fn new(ip: IpAddr) -> RelaySockets {
        RelaySockets { ip, bound: Arc::default() }
    }

    /// How many relay sockets are still open.
    pub(crate) fn open(&self) -> usize {
        let mut bound = self.bound.lock().unwrap_or_else(PoisonError::into_inner);
        bound.retain(|socket| socket.strong_count() > 0);
        bound.len()
    }
}

#[async_trait::async_trait]
impl RelayAddressGenerator for RelaySockets {
    fn validate(&self) -> Result<(), turn::Error> {
        if self.ip.is_unspecified() || self.ip.is_multicast() {
            return Err(turn::Error::ErrRelayAddressInvalid);
        }
        Ok(())
    }

    async fn allocate_conn(
        &self,
        use_ipv4: bool,
        requested_port: u16,
    ) -> Result<(Arc<dyn Conn + Send + Sync>, SocketAddr), turn::Error> {
        if use_ipv4 != self.ip.is_ipv4() {
            let family = if use_ipv4 { "IPv4" } else { "IPv6" };
            return Err(turn::Error::Other(format!("no {family} relay address (relaying on {})", self.ip)));
        }
        let socket = Arc::new(UdpSocket::bind(SocketAddr::new(self.ip, requested_port)).await?);
        let addr = socket.local_addr()?;
        {
            let mut bound = self.bound.lock().unwrap_or_else(PoisonError::into_inner);
            bound.retain(|socket| socket.strong_count() > 0);
            bound.push(Arc::downgrade(&socket));
        }
        tracing::debug!(relay = %addr, "TURN relay socket bound");
        Ok((socket, addr))
    }
}
